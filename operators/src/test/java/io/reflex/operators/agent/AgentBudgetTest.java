package io.reflex.operators.agent;

import static io.reflex.operators.agent.LlmAgentOperatorTest.ALERT;
import static io.reflex.operators.agent.LlmAgentOperatorTest.DLQ;
import static io.reflex.operators.agent.LlmAgentOperatorTest.JOB;
import static io.reflex.operators.agent.LlmAgentOperatorTest.MAX_PARALLELISM;
import static io.reflex.operators.agent.LlmAgentOperatorTest.NONE;
import static io.reflex.operators.agent.LlmAgentOperatorTest.deadLetters;
import static io.reflex.operators.agent.LlmAgentOperatorTest.llm;
import static io.reflex.operators.agent.LlmAgentOperatorTest.reply;
import static io.reflex.operators.agent.LlmAgentOperatorTest.send;
import static io.reflex.operators.agent.LlmAgentOperatorTest.trigger;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.agent.LlmAgentOperatorTest.FakeClient;
import io.reflex.operators.llm.TokenCounter;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Trigger;
import io.reflex.operators.testing.TestCatalogue;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Tests for the agent's spend budgets on Flink's keyed operator harness. */
class AgentBudgetTest {
    private static final long DAY = Duration.ofDays(1).toMillis();

    /** {@code llm(8, 3)}'s max-tokens: the worst case of a call's completion. */
    private static final int MAX_TOKENS = 100;

    private static KeyedOneInputStreamOperatorTestHarness<String, Trigger, Action> harness(
            FakeClient fake, BudgetOptions budget, AgentOptions agent) throws Exception {
        var h =
                new KeyedOneInputStreamOperatorTestHarness<String, Trigger, Action>(
                        new LlmAgentOperatorFactory(
                                        JOB,
                                        llm(8, 3),
                                        agent,
                                        TestCatalogue.create(),
                                        o -> fake,
                                        DLQ)
                                .withBudget(budget),
                        Trigger::key,
                        Types.STRING,
                        MAX_PARALLELISM,
                        1,
                        0);
        h.setProcessingTime(DAY + 1_000); // day 1, UTC
        return h;
    }

    /** No memory in the prompt: a key's requests have prompts of the same size. */
    private static final AgentOptions FORGETFUL =
            new AgentOptions(
                    16,
                    0,
                    0,
                    Duration.ofDays(7),
                    true,
                    2,
                    0,
                    0,
                    true,
                    5,
                    Duration.ofSeconds(30),
                    0,
                    0);

    /** The worst case the budget checks for the first request about {@code t}: prompt + max. */
    private static long worstCase(Trigger t, AgentOptions agent) throws Exception {
        FakeClient probe = new FakeClient();
        var h = harness(probe, new BudgetOptions(Long.MAX_VALUE / 2, 0), agent);
        h.open();
        send(h, t);
        long worst = TokenCounter.count(probe.call(0).request().messages()) + MAX_TOKENS;
        h.close();
        return worst;
    }

    @Test
    void aKeysTokensPerDayAdmitWhatFitsThenDeadLetterWithTheReasonUntilTheNextDay()
            throws Exception {
        Trigger first = trigger("ACME", "a1", 10);
        long budget = worstCase(first, FORGETFUL) + 10; // room for one call, which uses 15 (10 + 5)

        FakeClient fake = new FakeClient();
        var h = harness(fake, new BudgetOptions(budget, 0), FORGETFUL);
        h.open();
        send(h, first);
        assertThat(fake.calls).hasSize(1);
        reply(h, fake.call(0), NONE); // a valid answer with an empty note

        // 15 used + a worst case as large as the first: over the budget.
        send(h, trigger("ACME", "a2", 20));
        assertThat(fake.calls).as("not sent").hasSize(1);
        assertThat(deadLetters(h))
                .singleElement()
                .extracting(DeadLetter::reason)
                .asString()
                .startsWith("budget_exceeded: the key used 15 of its " + budget + " tokens today");
        send(h, trigger("GLOBX", "g1", 21));
        assertThat(fake.calls).as("another key has its own budget").hasSize(2);

        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();
        FakeClient next = new FakeClient();
        var restored = harness(next, new BudgetOptions(budget, 0), FORGETFUL);
        restored.initializeState(snapshot);
        restored.open(); // GLOBX's pending request is sent again: it was admitted already
        assertThat(next.calls).hasSize(1);
        send(restored, trigger("ACME", "a3", 30));
        assertThat(next.calls).as("the key's count survives the restore").hasSize(1);

        restored.setProcessingTime(2 * DAY + 1_000);
        send(restored, trigger("ACME", "a4", 40));
        assertThat(next.calls).as("a new UTC day, a new budget").hasSize(2);
        restored.close();
    }

    @Test
    void theJobsCostPerDayIsSharedEvenlyAndCountsWhatWasSpent() throws Exception {
        // $1 per million tokens either way: a call's worst case costs its tokens in micro-dollars.
        AgentOptions priced =
                new AgentOptions(
                        16,
                        5,
                        600,
                        Duration.ofDays(7),
                        true,
                        2,
                        0,
                        0,
                        true,
                        5,
                        Duration.ofSeconds(30),
                        1.0,
                        1.0);
        Trigger first = trigger("ACME", "a1", 10);
        long worst = worstCase(first, priced);
        // A day's budget of (worst + 10) micro-dollars: one call fits, a second does not.
        double dollars = (worst + 10) / 1e6;

        FakeClient fake = new FakeClient();
        var h = harness(fake, new BudgetOptions(0, dollars), priced);
        h.open();
        send(h, first);
        reply(h, fake.call(0), ALERT);
        send(h, trigger("GLOBX", "g1", 11)); // another key, the same job-wide budget
        assertThat(fake.calls).hasSize(1);
        assertThat(deadLetters(h))
                .singleElement()
                .extracting(DeadLetter::reason)
                .asString()
                .startsWith("budget_exceeded: this subtask spent 15 of its " + (worst + 10));
        h.close();
    }
}
