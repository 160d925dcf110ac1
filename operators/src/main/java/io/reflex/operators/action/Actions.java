package io.reflex.operators.action;

import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.Trigger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a validated answer into {@link Action}s with deterministic ids. Shared by the keyed agent
 * and the stateless async function.
 */
public final class Actions {
    private Actions() {}

    /**
     * The actions of one answer to the request {@code requestId} about {@code triggers} (one key,
     * oldest first). With several triggers, the action names every rule and event, and carries the
     * newest event time.
     */
    public static List<Action> of(
            String requestId,
            List<Trigger> triggers,
            List<ActionValidator.ProposedAction> proposed,
            LlmResponse response,
            int attempts,
            long now) {
        Trigger newest = triggers.get(triggers.size() - 1);
        Set<String> rules = new LinkedHashSet<>();
        List<String> eventIds = new ArrayList<>();
        long eventTime = Long.MIN_VALUE;
        for (Trigger t : triggers) {
            rules.add(t.rule());
            eventIds.addAll(t.eventIds());
            eventTime = Math.max(eventTime, t.eventTime());
        }
        List<Action> out = new ArrayList<>(proposed.size());
        for (int i = 0; i < proposed.size(); i++) {
            ActionValidator.ProposedAction a = proposed.get(i);
            out.add(
                    new Action(
                            ActionIds.actionId(requestId, i),
                            newest.key(),
                            a.type(),
                            a.params().toString(),
                            a.reason(),
                            String.join(",", rules),
                            eventIds,
                            eventTime,
                            response.model(),
                            response.promptTokens(),
                            response.completionTokens(),
                            response.latencyMs(),
                            attempts,
                            now));
        }
        return out;
    }
}
