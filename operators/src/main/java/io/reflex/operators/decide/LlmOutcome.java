package io.reflex.operators.decide;

import io.reflex.operators.model.Action;
import io.reflex.operators.model.Trigger;
import java.util.List;

/**
 * How one trigger's LLM request ended: with actions, with an explicit no-action decision, or
 * failed. Every trigger ends with exactly one outcome.
 *
 * @param trigger the trigger
 * @param status {@link #ACTIONS}, {@link #NO_ACTION} or {@link #FAILED}
 * @param actions the validated actions, empty unless {@code ACTIONS}
 * @param error why it failed, or null
 * @param attempts attempts made
 */
public record LlmOutcome(
        Trigger trigger, String status, List<Action> actions, String error, int attempts) {

    public static final String ACTIONS = "actions";
    public static final String NO_ACTION = "no_action";

    public static final String FAILED = "failed";

    public static LlmOutcome failed(Trigger trigger, String error, int attempts) {
        return new LlmOutcome(trigger, FAILED, List.of(), error, attempts);
    }
}
