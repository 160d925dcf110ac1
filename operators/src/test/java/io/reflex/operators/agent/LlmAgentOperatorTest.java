package io.reflex.operators.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.action.ActionIds;
import io.reflex.operators.llm.ChatMessage;
import io.reflex.operators.llm.LlmClient;
import io.reflex.operators.llm.LlmException;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.LlmRequest;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.TokenCounter;
import io.reflex.operators.llm.ToolCall;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Trigger;
import io.reflex.operators.testing.TestCatalogue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link LlmAgentOperator} on Flink's keyed operator harness, with a controllable fake of
 * the client interface: the test decides when and how each call completes.
 */
class LlmAgentOperatorTest {
    static final String JOB = "job";
    static final int MAX_PARALLELISM = 128;
    static final OutputTag<DeadLetter> DLQ =
            new OutputTag<>("dlq", TypeInformation.of(DeadLetter.class));
    static final String ALERT =
            "{\"actions\":[{\"type\":\"alert\",\"params\":{\"severity\":\"high\"},"
                    + "\"reason\":\"r\"}],\"memory\":\"watch closely\"}";
    static final String NONE = "{\"actions\":[],\"memory\":\"\"}";

    /** A client whose calls the test completes by hand. */
    static final class FakeClient implements LlmClient {
        record Call(LlmRequest request, CompletableFuture<LlmResponse> future) {
            String key() {
                String user = request.messages().get(1).content();
                return user.substring("Entity: ".length(), user.indexOf('\n'));
            }

            String lastMessage() {
                return request.messages().get(request.messages().size() - 1).content();
            }
        }

        final List<Call> calls = new ArrayList<>();

        @Override
        public CompletableFuture<LlmResponse> complete(LlmRequest request) {
            Call c = new Call(request, new CompletableFuture<>());
            calls.add(c);
            return c.future();
        }

        @Override
        public void close() {}

        Call call(int i) {
            return calls.get(i);
        }
    }

    static LlmOptions llm(int capacity, int maxAttempts) {
        return new LlmOptions(
                "http://127.0.0.1:1/v1",
                "",
                "fake",
                Duration.ofSeconds(5),
                maxAttempts,
                Duration.ofMillis(100),
                Duration.ofMillis(400),
                capacity,
                LlmOptions.DEFAULT_SYSTEM_PROMPT,
                LlmOptions.DEFAULT_PROMPT_TEMPLATE,
                0.2,
                100,
                4000,
                io.reflex.operators.llm.StructuredOutput.STRICT);
    }

    static AgentOptions agent() {
        return AgentOptions.defaults();
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Trigger, Action> harness(
            FakeClient fake, LlmOptions llm, AgentOptions agent, int parallelism, int subtask)
            throws Exception {
        var h =
                new KeyedOneInputStreamOperatorTestHarness<String, Trigger, Action>(
                        new LlmAgentOperatorFactory(
                                JOB, llm, agent, TestCatalogue.create(), o -> fake, DLQ),
                        Trigger::key,
                        Types.STRING,
                        MAX_PARALLELISM,
                        parallelism,
                        subtask);
        h.setProcessingTime(1_000);
        return h;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Trigger, Action> open(
            FakeClient fake, LlmOptions llm, AgentOptions agent) throws Exception {
        var h = harness(fake, llm, agent, 1, 0);
        h.open();
        return h;
    }

    static Trigger trigger(String key, String id, long ts) {
        return new Trigger(
                "rule",
                key,
                ts,
                List.of(id),
                "{\"recent_events\":[{\"id\":\"" + id + "\"}],\"stats\":{\"rule\":{\"count\":1}}}");
    }

    static void send(AbstractStreamOperatorTestHarness<?> h, Trigger t) throws Exception {
        @SuppressWarnings("unchecked")
        var th = (KeyedOneInputStreamOperatorTestHarness<String, Trigger, Action>) h;
        th.processElement(new StreamRecord<>(t, t.eventTime()));
    }

    static LlmResponse answer(String content) {
        return new LlmResponse(content, List.of(), "fake", 10, 5, 3, null);
    }

    /** Runs the mails the operator posted: the answers' callbacks, and due timers. */
    static void drain(AbstractStreamOperatorTestHarness<?> h) throws Exception {
        Optional<Mail> mail;
        while ((mail = h.getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY)).isPresent()) {
            mail.get().run();
        }
    }

    static void reply(AbstractStreamOperatorTestHarness<?> h, FakeClient.Call call, String content)
            throws Exception {
        call.future().complete(answer(content));
        drain(h);
    }

    static void advance(AbstractStreamOperatorTestHarness<?> h, long to) throws Exception {
        h.setProcessingTime(to);
        drain(h);
    }

    static List<DeadLetter> deadLetters(AbstractStreamOperatorTestHarness<?> h) {
        var q = h.getSideOutput(DLQ);
        return q == null
                ? List.of()
                : q.stream().map(StreamRecord::getValue).collect(Collectors.toList());
    }

    @Test
    void threeTriggersDuringAPendingCallGiveExactlyOneFollowUpRequestHoldingAllThree()
            throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent());
        send(h, trigger("ACME", "a1", 10));
        send(h, trigger("ACME", "a2", 20));
        send(h, trigger("ACME", "a3", 30));
        send(h, trigger("ACME", "a4", 40));
        assertThat(fake.calls).hasSize(1);

        reply(h, fake.call(0), ALERT);
        assertThat(fake.calls).hasSize(2);
        String followUp = fake.call(1).request().messages().get(1).content();
        assertThat(followUp)
                .contains("3 triggers since your last decision")
                .contains("[a2]", "[a3]", "[a4]");
        assertThat(fake.call(1).request().requestId())
                .isEqualTo(
                        ActionIds.requestId(
                                JOB,
                                List.of(
                                        trigger("ACME", "a2", 20),
                                        trigger("ACME", "a3", 30),
                                        trigger("ACME", "a4", 40))));

        reply(h, fake.call(1), ALERT);
        assertThat(fake.calls).hasSize(2);
        List<Action> out = h.extractOutputValues();
        assertThat(out)
                .extracting(Action::eventIds)
                .containsExactly(List.of("a1"), List.of("a2", "a3", "a4"));
        // the pending work is cleared; only the key's memory (with its TTL) remains
        assertThat(h.numKeyedStateEntries()).isEqualTo(1);
        assertThat(h.getProcessingTimeService().getNumActiveTimers()).isZero();
    }

    @Test
    void otherKeysNeverWaitAndEachKeysOutputsKeepTheirOrder() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent());
        send(h, trigger("ACME", "a1", 10));
        send(h, trigger("GLOBX", "g1", 11));
        send(h, trigger("ACME", "a2", 12));
        assertThat(fake.calls).extracting(FakeClient.Call::key).containsExactly("ACME", "GLOBX");

        reply(h, fake.call(1), ALERT); // GLOBX answers first
        reply(h, fake.call(0), ALERT);
        reply(h, fake.call(2), NONE);
        assertThat(h.extractOutputValues())
                .extracting(a -> a.eventIds().get(0))
                .containsExactly("g1", "a1");
        assertThat(fake.calls)
                .extracting(FakeClient.Call::key)
                .containsExactly("ACME", "GLOBX", "ACME");
    }

    @Test
    void snapshotWithRequestsInFlightRestoresAndReissuesEachOnce() throws Exception {
        FakeClient first = new FakeClient();
        var h = open(first, llm(8, 3), agent());
        send(h, trigger("ACME", "a1", 10));
        send(h, trigger("GLOBX", "g1", 11));
        send(h, trigger("ACME", "a2", 12)); // in the backlog
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();

        FakeClient second = new FakeClient();
        var restored = harness(second, llm(8, 3), agent(), 1, 0);
        restored.initializeState(snapshot);
        restored.open();
        assertThat(second.calls)
                .extracting(FakeClient.Call::key)
                .containsExactlyInAnyOrder("ACME", "GLOBX");
        assertThat(second.calls)
                .extracting(c -> c.request().requestId())
                .containsExactlyInAnyOrderElementsOf(
                        first.calls.stream().map(c -> c.request().requestId()).toList());

        for (FakeClient.Call c : new ArrayList<>(second.calls)) {
            reply(restored, c, ALERT);
        }
        assertThat(second.calls).hasSize(3); // then a2 from the restored backlog
        reply(restored, second.call(2), ALERT);
        assertThat(restored.extractOutputValues())
                .extracting(a -> a.eventIds().get(0))
                .containsExactlyInAnyOrder("a1", "g1", "a2");
        assertThat(second.calls).hasSize(3);
    }

    /**
     * The job's own downtime does not count against a request's deadline: a request that failed
     * once before the snapshot and fails again right after a restore a minute later (three times
     * its deadline) is retried, not dead-lettered. Its attempts still count: the soak saw such
     * requests dead-lettered "after 2 attempt(s)" of 4.
     */
    @Test
    void aRestoredRequestGetsItsRemainingAttemptsWhateverTheDowntime() throws Exception {
        FakeClient first = new FakeClient();
        LlmOptions llm = llm(8, 3);
        var h = open(first, llm, agent());
        send(h, trigger("ACME", "a1", 10));
        first.call(0)
                .future()
                .completeExceptionally(new LlmException("HTTP 500", true, 500, null, null));
        drain(h);
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();

        FakeClient second = new FakeClient();
        var restored = harness(second, llm, agent(), 1, 0);
        restored.setProcessingTime(1_000 + 3 * llm.requestDeadline().toMillis());
        restored.initializeState(snapshot);
        restored.open();
        assertThat(second.calls).hasSize(1);
        second.call(0)
                .future()
                .completeExceptionally(new LlmException("HTTP 500", true, 500, null, null));
        drain(restored);
        assertThat(deadLetters(restored)).as("attempt 2 of 3 failed: one is left").isEmpty();
        advance(restored, 2_000 + 3 * llm.requestDeadline().toMillis());
        assertThat(second.calls).hasSize(2);
        second.call(1)
                .future()
                .completeExceptionally(new LlmException("HTTP 500", true, 500, null, null));
        drain(restored);
        assertThat(deadLetters(restored))
                .singleElement()
                .satisfies(d -> assertThat(d.reason()).startsWith("after 3 attempt(s)"));
    }

    @Test
    void restoreAtAnotherParallelismReissuesEveryRequestOnceOnTheSubtaskThatOwnsTheKey()
            throws Exception {
        FakeClient before = new FakeClient();
        var h = open(before, llm(64, 3), agent());
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            keys.add("K" + i);
            send(h, trigger("K" + i, "e" + i, i));
        }
        assertThat(before.calls).hasSize(20);
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();

        List<String> reissued = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            FakeClient after = new FakeClient();
            var restored = harness(after, llm(64, 3), agent(), 2, subtask);
            restored.initializeState(
                    AbstractStreamOperatorTestHarness.repartitionOperatorState(
                            snapshot, MAX_PARALLELISM, 1, 2, subtask));
            restored.open();
            assertThat(after.calls).as("subtask %d gets some keys", subtask).isNotEmpty();
            after.calls.forEach(c -> reissued.add(c.key()));
            restored.close();
        }
        assertThat(reissued).hasSize(20).containsExactlyInAnyOrderElementsOf(keys);
    }

    @Test
    void atCapacityTheOperatorYieldsUntilARequestEnds() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(2, 3), agent());
        send(h, trigger("A", "a1", 1));
        send(h, trigger("B", "b1", 2));
        List<Integer> seenWhileHeld = new ArrayList<>();
        // This mail runs while processElement(C) yields: C has not been sent yet.
        h.getTaskMailbox()
                .put(
                        new Mail(
                                () -> {
                                    seenWhileHeld.add(fake.calls.size());
                                    fake.call(0).future().complete(answer(ALERT));
                                },
                                TaskMailbox.MAX_PRIORITY,
                                "probe"));
        send(h, trigger("C", "c1", 3));
        assertThat(seenWhileHeld).containsExactly(2);
        assertThat(fake.calls).extracting(FakeClient.Call::key).containsExactly("A", "B", "C");
        assertThat(h.extractOutputValues()).extracting(Action::key).containsExactly("A");
        // a trigger for a key that already has a request is coalesced without waiting
        send(h, trigger("B", "b2", 4));
        assertThat(fake.calls).hasSize(3);
    }

    @Test
    void theWatermarkIsHeldBackToTheOldestPendingTrigger() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent());
        send(h, trigger("A", "a1", 1_000));
        h.processWatermark(new Watermark(5_000));
        assertThat(watermarks(h)).containsExactly(999L);
        reply(h, fake.call(0), ALERT);
        assertThat(watermarks(h)).containsExactly(999L, 5_000L);
        assertThat(h.getOutput())
                .filteredOn(StreamRecord.class::isInstance)
                .extracting(o -> ((StreamRecord<?>) o).getTimestamp())
                .containsExactly(1_000L);
    }

    private static List<Long> watermarks(AbstractStreamOperatorTestHarness<?> h) {
        return h.getOutput().stream()
                .filter(Watermark.class::isInstance)
                .map(o -> ((Watermark) o).getTimestamp())
                .collect(Collectors.toList());
    }

    @Test
    void retryableFailuresAreRetriedWithBackoffThenDeadLettered() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent());
        send(h, trigger("A", "a1", 1));
        fail(h, fake.call(0), 500);
        assertThat(fake.calls).hasSize(1);
        advance(h, 1_500); // past the 100 ms backoff ceiling of the second attempt
        assertThat(fake.calls).hasSize(2);
        fail(h, fake.call(1), 429);
        advance(h, 2_500);
        assertThat(fake.calls).hasSize(3);
        fail(h, fake.call(2), 503);
        advance(h, 10_000);
        assertThat(fake.calls).as("attempts never exceed the maximum").hasSize(3);
        List<DeadLetter> dl = deadLetters(h);
        assertThat(dl)
                .singleElement()
                .satisfies(
                        d -> {
                            assertThat(d.stage()).isEqualTo("llm");
                            assertThat(d.reason()).startsWith("after 3 attempt(s): HTTP 503");
                            assertThat(d.key()).isEqualTo("A");
                        });
        assertThat(h.numKeyedStateEntries()).isZero();
    }

    @Test
    void retryAfterIsHonoured() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent());
        send(h, trigger("A", "a1", 1));
        fake.call(0)
                .future()
                .completeExceptionally(
                        new LlmException("HTTP 429", true, 429, Duration.ofSeconds(3), null));
        drain(h);
        advance(h, 3_999);
        assertThat(fake.calls).hasSize(1);
        advance(h, 4_000);
        assertThat(fake.calls).hasSize(2);
    }

    @Test
    void nonRetryableFailuresAreDeadLetteredAtOnce() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent());
        send(h, trigger("A", "a1", 1));
        fail(h, fake.call(0), 401);
        assertThat(deadLetters(h))
                .extracting(DeadLetter::reason)
                .containsExactly("after 1 attempt(s): HTTP 401");
        advance(h, 60_000);
        assertThat(fake.calls).hasSize(1);
    }

    private static void fail(
            AbstractStreamOperatorTestHarness<?> h, FakeClient.Call call, int status)
            throws Exception {
        call.future()
                .completeExceptionally(
                        new LlmException(
                                "HTTP " + status,
                                status == 429 || status >= 500,
                                status,
                                null,
                                null));
        drain(h);
    }

    @Test
    void anOpenBreakerParksRequestsAndAProbeDrainsThem() throws Exception {
        FakeClient fake = new FakeClient();
        AgentOptions agent =
                new AgentOptions(
                        16,
                        5,
                        600,
                        Duration.ofDays(1),
                        true,
                        2,
                        0,
                        0,
                        true,
                        2,
                        Duration.ofSeconds(10),
                        0,
                        0);
        var h = open(fake, llm(8, 2), agent);
        send(h, trigger("A", "a1", 1));
        send(h, trigger("B", "b1", 2));
        send(h, trigger("C", "c1", 3));
        fail(h, fake.call(0), 503);
        fail(h, fake.call(1), 503); // second consecutive failure: the breaker opens
        fail(h, fake.call(2), 503); // parked as well, whatever its attempts
        advance(h, 5_000);
        assertThat(fake.calls).as("no calls while open").hasSize(3);
        advance(h, 12_000);
        assertThat(fake.calls).as("one half-open probe").hasSize(4);
        fail(h, fake.call(3), 503); // the probe fails: open again
        advance(h, 21_000);
        assertThat(fake.calls).hasSize(4);
        advance(h, 23_000);
        assertThat(fake.calls).hasSize(5);
        reply(h, fake.call(4), ALERT); // the probe succeeds: the others are released
        assertThat(fake.calls).hasSize(7);
        reply(h, fake.call(5), ALERT);
        reply(h, fake.call(6), ALERT);
        assertThat(deadLetters(h)).isEmpty();
        assertThat(fake.calls)
                .extracting(FakeClient.Call::key)
                .containsExactly("A", "B", "C", "B", "C", "A", "B");
        assertThat(h.extractOutputValues())
                .extracting(Action::key)
                .containsExactlyInAnyOrder("A", "B", "C");
        assertThat(h.extractOutputValues())
                .allSatisfy(a -> assertThat(a.attempts()).isLessThanOrEqualTo(2));
    }

    @Test
    void anInvalidAnswerGetsOneRepairWithTheErrorFedBack() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent());
        send(h, trigger("A", "a1", 1));
        reply(h, fake.call(0), "{\"actions\":[{\"type\":\"sell\"}],\"memory\":\"\"}");
        assertThat(fake.calls).hasSize(2);
        assertThat(fake.call(1).lastMessage()).startsWith("Your answer was invalid");
        reply(h, fake.call(1), ALERT);
        assertThat(h.extractOutputValues()).hasSize(1);
        assertThat(h.extractOutputValues().get(0).attempts()).isEqualTo(1);

        send(h, trigger("B", "b1", 2));
        reply(h, fake.call(2), "not json");
        reply(h, fake.call(3), "still not json");
        assertThat(deadLetters(h))
                .extracting(DeadLetter::reason)
                .singleElement()
                .asString()
                .startsWith("invalid answer after a repair attempt: answer is not JSON");
    }

    @Test
    void toolCallsAreAnsweredFromTheKeysStateWithinTheRoundLimit() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent());
        send(h, trigger("A", "a1", 1));
        assertThat(fake.call(0).request().tools())
                .extracting(t -> t.name())
                .containsExactly("recent_events", "stats", "past_decisions");
        fake.call(0)
                .future()
                .complete(
                        new LlmResponse(
                                null,
                                List.of(
                                        new ToolCall("call-1", "recent_events", "{\"n\":2}"),
                                        new ToolCall("call-2", "stats", "{}")),
                                "fake",
                                10,
                                5,
                                3,
                                null));
        drain(h);
        assertThat(fake.calls).hasSize(2);
        List<ChatMessage> conversation = fake.call(1).request().messages();
        assertThat(conversation)
                .extracting(ChatMessage::role)
                .containsExactly("system", "user", "assistant", "tool", "tool");
        assertThat(conversation.get(3).content()).contains("\"a1\"");
        assertThat(conversation.get(4).content()).contains("\"count\":1");
        reply(h, fake.call(1), ALERT);
        assertThat(h.extractOutputValues()).hasSize(1);
    }

    @Test
    void memoryOfPastDecisionsGoesIntoTheNextPrompt() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent());
        send(h, trigger("A", "a1", 1));
        reply(h, fake.call(0), ALERT);
        send(h, trigger("A", "a2", 2));
        String prompt = fake.call(1).request().messages().get(1).content();
        assertThat(prompt)
                .contains("note: watch closely")
                .contains("decision: at event time 1: alert {\"severity\":\"high\"} because r");
    }

    @Test
    void requestsPerMinuteAreRespected() throws Exception {
        FakeClient fake = new FakeClient();
        AgentOptions agent =
                new AgentOptions(
                        16,
                        5,
                        600,
                        Duration.ofDays(1),
                        true,
                        2,
                        1,
                        0,
                        true,
                        5,
                        Duration.ofSeconds(10),
                        0,
                        0);
        var h = open(fake, llm(8, 3), agent);
        send(h, trigger("A", "a1", 1));
        send(h, trigger("B", "b1", 2));
        assertThat(fake.calls).hasSize(1);
        advance(h, 30_000);
        assertThat(fake.calls).hasSize(1);
        advance(h, 61_000);
        assertThat(fake.calls).hasSize(2);
    }

    static AgentOptions agent(int maxBacklog, long tokensPerMinute) {
        AgentOptions d = AgentOptions.defaults();
        return new AgentOptions(
                maxBacklog,
                d.memoryDecisions(),
                d.memoryMaxChars(),
                d.memoryTtl(),
                d.repairInvalid(),
                d.maxToolRounds(),
                0,
                tokensPerMinute,
                false,
                d.breakerFailures(),
                d.breakerCooldown(),
                0,
                0);
    }

    @Test
    void aFullBacklogDeadLettersItsOldestTriggerAndKeepsTheNewest() throws Exception {
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent(2, 0));
        send(h, trigger("ACME", "a1", 10)); // in flight
        send(h, trigger("ACME", "a2", 20));
        send(h, trigger("ACME", "a3", 30));
        assertThat(deadLetters(h)).isEmpty();
        send(h, trigger("ACME", "a4", 40)); // the backlog of 2 overflows: a2 goes
        assertThat(deadLetters(h))
                .singleElement()
                .satisfies(
                        d -> {
                            assertThat(d.reason())
                                    .isEqualTo(
                                            "backlog of 2 triggers for this key is full; the"
                                                    + " oldest is dead-lettered");
                            assertThat(d.key()).isEqualTo("ACME");
                            assertThat(new String(d.raw(), java.nio.charset.StandardCharsets.UTF_8))
                                    .contains("\"a2\"");
                        });
        h.processWatermark(new Watermark(100));
        assertThat(h.getOutput())
                .filteredOn(o -> o instanceof Watermark)
                .as("held below a1, the oldest trigger still pending")
                .containsExactly(new Watermark(9));
        reply(h, fake.call(0), ALERT);
        assertThat(fake.call(1).request().requestId())
                .isEqualTo(
                        ActionIds.requestId(
                                JOB,
                                List.of(trigger("ACME", "a3", 30), trigger("ACME", "a4", 40))));
        reply(h, fake.call(1), ALERT);
        assertThat(h.extractOutputValues())
                .extracting(Action::eventIds)
                .containsExactly(List.of("a1"), List.of("a3", "a4"));
        assertThat(deadLetters(h)).hasSize(1);
    }

    @Test
    void tokensPerMinuteHoldACallBackUntilItsTokensAreThere() throws Exception {
        // What one call costs: its prompt's tokens and the completion bound (llm(): 100).
        FakeClient probe = new FakeClient();
        var first = open(probe, llm(8, 3), agent());
        send(first, trigger("A", "a1", 1));
        long cost = TokenCounter.count(probe.call(0).request().messages()) + 100;
        first.close();
        // A second's worth of the limit holds one and a half calls: B waits for A's tokens.
        long perMinute = cost * 3 / 2 * 60;
        FakeClient fake = new FakeClient();
        var h = open(fake, llm(8, 3), agent(16, perMinute));
        send(h, trigger("A", "a1", 1));
        send(h, trigger("B", "b1", 2));
        assertThat(fake.calls).extracting(FakeClient.Call::key).containsExactly("A");
        advance(h, 1_100);
        assertThat(fake.calls).as("a tenth of a second refills a tenth").hasSize(1);
        advance(h, 2_000);
        assertThat(fake.calls).extracting(FakeClient.Call::key).containsExactly("A", "B");
        reply(h, fake.call(0), ALERT);
        reply(h, fake.call(1), ALERT);
        assertThat(h.extractOutputValues()).extracting(Action::key).containsExactly("A", "B");
    }

    @Test
    void manyConcurrentFailuresParkOnceTheBreakerOpens() throws Exception {
        FakeClient fake = new FakeClient();
        AgentOptions agent =
                new AgentOptions(
                        16,
                        5,
                        600,
                        Duration.ofDays(1),
                        true,
                        2,
                        0,
                        0,
                        true,
                        3,
                        Duration.ofSeconds(2),
                        0,
                        0);
        var h = open(fake, llm(16, 3), agent);
        for (int i = 0; i < 15; i++) {
            send(h, trigger("K" + i, "e" + i, i));
        }
        for (int i = 0; i < 15; i++) {
            fail(h, fake.call(i), 500);
        }
        advance(h, 1_900);
        assertThat(deadLetters(h)).isEmpty();
        assertThat(fake.calls).hasSize(15);
    }
}
