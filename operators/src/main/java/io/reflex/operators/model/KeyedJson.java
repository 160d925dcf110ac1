package io.reflex.operators.model;

/**
 * A JSON record for a keyed output topic (the audit log, the state changelog), already rendered:
 * the sink writes {@code json} as the value and {@code key} as the record key, and the operators
 * between pay for one string each.
 *
 * @param key the entity key
 * @param json the record's value, a JSON object with its {@code schema_version}
 */
public record KeyedJson(String key, String json) {}
