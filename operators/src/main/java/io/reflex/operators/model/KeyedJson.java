package io.reflex.operators.model;

/**
 * A JSON record for a keyed output topic (the audit log, the state changelog), already rendered in
 * UTF-8: the sink writes {@code json} as the value and {@code key} as the record key, and the
 * network and state between copy its bytes as they are (a profile of the state changelog showed
 * Flink's character-by-character string serializer as a third of its join's time).
 *
 * @param key the entity key
 * @param json the record's value in UTF-8, a JSON object (with its {@code schema_version} on the
 *     topic); never modified after it is built
 */
public record KeyedJson(String key, byte[] json) {}
