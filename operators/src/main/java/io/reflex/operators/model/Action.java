package io.reflex.operators.model;

import java.util.List;

/**
 * One validated action decided by the LLM for one trigger. Serialized to the actions topic as
 * described by {@code docs/action.schema.json}.
 *
 * @param actionId deterministic id: a hash of the job, the key, the trigger and the action's index
 * @param key the entity key
 * @param type an action type from the catalogue
 * @param params the action's parameters as a JSON object, valid against the type's schema
 * @param reason the LLM's short reason
 * @param rule the rule that fired
 * @param eventIds the events that fired the rule
 * @param eventTime event time of the trigger
 * @param model the model that decided
 * @param promptTokens prompt tokens of the successful call
 * @param completionTokens completion tokens of the successful call
 * @param latencyMs latency of the successful call
 * @param attempts how many attempts the decision took
 * @param emittedAt wall-clock time the action was produced, in epoch milliseconds
 */
public record Action(
        String actionId,
        String key,
        String type,
        String params,
        String reason,
        String rule,
        List<String> eventIds,
        long eventTime,
        String model,
        long promptTokens,
        long completionTokens,
        long latencyMs,
        int attempts,
        long emittedAt) {}
