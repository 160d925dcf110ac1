package io.reflex.operators.decide;

import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.action.ActionValidator.ProposedAction;
import io.reflex.operators.llm.ChatMessage;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.ToolCall;
import java.util.List;

/**
 * What one LLM answer means for its request: another tool round, a repair turn, a decision, or a
 * failure. It keeps no state and touches no Flink API, so that the keyed agent and the stateless
 * function decide alike, and so that tests drive it without a harness. The caller applies the
 * result: it evaluates the tools, extends the conversation, emits the actions or dead-letters the
 * triggers.
 *
 * <p>Safe to use from several threads at once: the validator serializes its own use.
 */
public final class AnswerInterpreter {
    private final ActionValidator validator;
    private final int maxToolRounds;
    private final boolean repairInvalid;

    /**
     * @param validator checks the answer against the action catalogue and the response schema
     * @param maxToolRounds tool rounds a request may take; 0 when no tools are offered
     * @param repairInvalid whether an invalid answer gets one repair turn with the error fed back
     */
    public AnswerInterpreter(ActionValidator validator, int maxToolRounds, boolean repairInvalid) {
        this.validator = validator;
        this.maxToolRounds = maxToolRounds;
        this.repairInvalid = repairInvalid;
    }

    /**
     * @param answer the model's answer
     * @param toolRounds the tool rounds this request has taken so far
     * @param repaired whether this request has had its repair turn
     */
    public Interpretation interpret(LlmResponse answer, int toolRounds, boolean repaired) {
        if (answer.callsTools()) {
            if (toolRounds < maxToolRounds) {
                return new ToolRound(
                        ChatMessage.assistant(answer.content(), answer.toolCalls()),
                        answer.toolCalls());
            }
            return new Failed(
                    maxToolRounds == 0
                            ? "the model called tools, but none were offered"
                            : "the model kept calling tools after " + toolRounds + " round(s)",
                    false);
        }
        ActionValidator.Result result = validator.validate(answer.content());
        if (result.valid()) {
            return new Decided(result.actions(), result.memory());
        }
        if (repairInvalid && !repaired) {
            return new Repair(
                    List.of(
                            ChatMessage.assistant(answer.content(), List.of()),
                            ChatMessage.user(
                                    "Your answer was invalid: "
                                            + result.error()
                                            + ". Answer again with JSON that matches the schema"
                                            + " exactly.")));
        }
        return new Failed(
                "invalid answer"
                        + (repaired ? " after a repair attempt" : "")
                        + ": "
                        + result.error(),
                true);
    }

    /** One of the four outcomes of an answer. */
    public sealed interface Interpretation permits ToolRound, Repair, Decided, Failed {}

    /**
     * The model asked for tools: append {@code assistant}, then one tool message per call, and ask
     * again.
     */
    public record ToolRound(ChatMessage assistant, List<ToolCall> calls)
            implements Interpretation {}

    /** The answer was invalid: append {@code turn} (the answer and the error) and ask again. */
    public record Repair(List<ChatMessage> turn) implements Interpretation {}

    /**
     * A valid decision: the actions (none for a no-action decision) and the memory note, if any.
     */
    public record Decided(List<ProposedAction> actions, String memory) implements Interpretation {}

    /** The request cannot succeed; {@code invalidAnswer} when the model's answer was invalid. */
    public record Failed(String reason, boolean invalidAnswer) implements Interpretation {}
}
