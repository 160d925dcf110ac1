package io.reflex.operators.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.decide.AnswerInterpreter.Decided;
import io.reflex.operators.decide.AnswerInterpreter.Failed;
import io.reflex.operators.decide.AnswerInterpreter.Repair;
import io.reflex.operators.decide.AnswerInterpreter.ToolRound;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.ToolCall;
import io.reflex.operators.testing.TestCatalogue;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The answer interpreter on its own: no harness, no Flink. */
class AnswerInterpreterTest {
    private static final String ALERT =
            "{\"actions\":[{\"type\":\"alert\",\"params\":{\"severity\":\"high\"},"
                    + "\"reason\":\"r\"}],\"memory\":\"watch closely\"}";

    private static AnswerInterpreter agent(int maxToolRounds, boolean repair) {
        return new AnswerInterpreter(
                new ActionValidator(TestCatalogue.create(), true, 100), maxToolRounds, repair);
    }

    private static LlmResponse content(String content) {
        return new LlmResponse(content, List.of(), "m", 1, 1, 1, null);
    }

    private static LlmResponse tools(ToolCall... calls) {
        return new LlmResponse(null, List.of(calls), "m", 1, 1, 1, null);
    }

    @Test
    void aValidAnswerIsADecisionWithItsActionsAndNote() {
        var meaning = agent(2, true).interpret(content(ALERT), 0, false);
        assertThat(meaning).isInstanceOf(Decided.class);
        Decided d = (Decided) meaning;
        assertThat(d.actions())
                .singleElement()
                .satisfies(a -> assertThat(a.type()).isEqualTo("alert"));
        assertThat(d.memory()).isEqualTo("watch closely");
    }

    @Test
    void anEmptyActionListIsANoActionDecision() {
        var meaning =
                agent(0, false).interpret(content("{\"actions\":[],\"memory\":\"\"}"), 0, true);
        assertThat(meaning).isInstanceOf(Decided.class);
        assertThat(((Decided) meaning).actions()).isEmpty();
    }

    @Test
    void toolCallsAreARoundWhileRoundsAreLeftThenAFailure() {
        ToolCall call = new ToolCall("c1", "recent_events", "{\"n\":2}");
        var first = agent(2, true).interpret(tools(call), 1, false);
        assertThat(first).isInstanceOf(ToolRound.class);
        ToolRound round = (ToolRound) first;
        assertThat(round.calls()).containsExactly(call);
        assertThat(round.assistant().role()).isEqualTo("assistant");
        assertThat(round.assistant().toolCalls()).containsExactly(call);

        var last = agent(2, true).interpret(tools(call), 2, false);
        assertThat(last)
                .isEqualTo(new Failed("the model kept calling tools after 2 round(s)", false));
        assertThat(agent(0, true).interpret(tools(call), 0, false))
                .isEqualTo(new Failed("the model called tools, but none were offered", false));
    }

    @Test
    void anInvalidAnswerGetsOneRepairTurnThenFails() {
        var first = agent(0, true).interpret(content("not json"), 0, false);
        assertThat(first).isInstanceOf(Repair.class);
        List<io.reflex.operators.llm.ChatMessage> turn = ((Repair) first).turn();
        assertThat(turn).extracting(m -> m.role()).containsExactly("assistant", "user");
        assertThat(turn.get(0).content()).isEqualTo("not json");
        assertThat(turn.get(1).content()).startsWith("Your answer was invalid: answer is not JSON");

        var second = agent(0, true).interpret(content("not json"), 0, true);
        assertThat(second).isInstanceOf(Failed.class);
        assertThat(((Failed) second).invalidAnswer()).isTrue();
        assertThat(((Failed) second).reason())
                .startsWith("invalid answer after a repair attempt: answer is not JSON");
    }

    @Test
    void withoutRepairAnInvalidAnswerFailsAtOnce() {
        String offCatalogue =
                "{\"actions\":[{\"type\":\"transfer_funds\",\"params\":{},\"reason\":\"r\"}],"
                        + "\"memory\":\"\"}";
        var meaning = agent(0, false).interpret(content(offCatalogue), 0, false);
        assertThat(meaning).isInstanceOf(Failed.class);
        assertThat(((Failed) meaning).invalidAnswer()).isTrue();
        assertThat(((Failed) meaning).reason()).startsWith("invalid answer: ");
    }
}
