package io.reflex.operators.model;

import java.util.List;

/**
 * A rule that fired for one key: the input of the LLM step.
 *
 * @param rule the id of the rule that fired
 * @param key the entity key
 * @param eventTime event time of the event that fired the rule, in epoch milliseconds
 * @param eventIds ids of the events that fired it, oldest first
 * @param context a compact JSON object: the rule, the key's recent events and its statistics
 */
public record Trigger(
        String rule, String key, long eventTime, List<String> eventIds, String context) {}
