package io.reflex.operators.model;

/**
 * One decoded input record: where it came from, the entity it is about, when it happened and its
 * JSON payload.
 *
 * @param source where the record came from, for example {@code kafka:market.trades}
 * @param key the entity key the pipeline partitions by
 * @param eventTime event time in epoch milliseconds
 * @param id an id unique within the source; used to dedupe replays
 * @param payload the record's JSON object, as text
 */
public record Event(String source, String key, long eventTime, String id, String payload) {}
