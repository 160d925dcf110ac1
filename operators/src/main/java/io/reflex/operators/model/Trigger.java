package io.reflex.operators.model;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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
        String rule, String key, long eventTime, List<String> eventIds, String context) {

    /** The rules that fired {@code triggers}, each once, in the triggers' order. */
    public static Set<String> rules(List<Trigger> triggers) {
        Set<String> rules = new LinkedHashSet<>();
        triggers.forEach(t -> rules.add(t.rule()));
        return rules;
    }
}
