package io.reflex.operators.agent;

import static io.reflex.operators.agent.LlmAgentOperatorTest.ALERT;
import static io.reflex.operators.agent.LlmAgentOperatorTest.DLQ;
import static io.reflex.operators.agent.LlmAgentOperatorTest.JOB;
import static io.reflex.operators.agent.LlmAgentOperatorTest.MAX_PARALLELISM;
import static io.reflex.operators.agent.LlmAgentOperatorTest.advance;
import static io.reflex.operators.agent.LlmAgentOperatorTest.agent;
import static io.reflex.operators.agent.LlmAgentOperatorTest.llm;
import static io.reflex.operators.agent.LlmAgentOperatorTest.reply;
import static io.reflex.operators.agent.LlmAgentOperatorTest.send;
import static io.reflex.operators.agent.LlmAgentOperatorTest.trigger;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.agent.LlmAgentOperatorTest.FakeClient;
import io.reflex.operators.journal.AnswerJournal;
import io.reflex.operators.journal.JournalEntry;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.Trigger;
import io.reflex.operators.testing.TestCatalogue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Tests for the agent's response journal on Flink's keyed operator harness. The journal here keeps
 * its partitions in memory, with Kafka's offset semantics; {@code AgentFailoverITCase} runs the
 * same path on the Kafka journal against a real broker.
 */
class AgentJournalTest {

    /** Partitions of entries, shared by every journal opened on the same name. */
    static final Map<String, List<List<JournalEntry>>> TOPICS = new ConcurrentHashMap<>();

    /** A journal over {@link #TOPICS}; appends are acknowledged at once. */
    static final class MemoryJournal implements AnswerJournal {
        private final List<List<JournalEntry>> partitions;

        MemoryJournal(String name, int partitions) {
            this.partitions =
                    TOPICS.computeIfAbsent(
                            name,
                            n -> {
                                List<List<JournalEntry>> p = new ArrayList<>();
                                for (int i = 0; i < partitions; i++) {
                                    p.add(new ArrayList<>());
                                }
                                return p;
                            });
        }

        @Override
        public int partition(int keyGroup) {
            return keyGroup % partitions.size();
        }

        @Override
        public void append(int partition, JournalEntry entry) {
            partitions.get(partition).add(entry);
        }

        @Override
        public long position(int partition) {
            return partitions.get(partition).size();
        }

        @Override
        public long replay(Map<Integer, Long> from, Consumer<JournalEntry> into) {
            long read = 0;
            for (Map.Entry<Integer, Long> e : from.entrySet()) {
                List<JournalEntry> p = partitions.get(e.getKey());
                for (int i = e.getValue().intValue(); i < p.size(); i++) {
                    into.accept(p.get(i));
                    read++;
                }
            }
            return read;
        }

        @Override
        public long readAll(Consumer<JournalEntry> into) {
            Map<Integer, Long> all = new HashMap<>();
            for (int p = 0; p < partitions.size(); p++) {
                all.put(p, 0L);
            }
            return replay(all, into);
        }

        @Override
        public Map<Integer, Long> endOffsets(Collection<Integer> ps) {
            Map<Integer, Long> out = new HashMap<>();
            ps.forEach(p -> out.put(p, (long) partitions.get(p).size()));
            return out;
        }

        @Override
        public long writes() {
            return partitions.stream().mapToLong(List::size).sum();
        }

        @Override
        public long writeFailures() {
            return 0;
        }

        @Override
        public void close() {}

        int size() {
            return (int) writes();
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Trigger, Action> harness(
            FakeClient fake, String journal) throws Exception {
        return harness(fake, journal, JournalOptions.LIVE, JournalOptions.DEAD_LETTER);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Trigger, Action> harness(
            FakeClient fake, String journal, String mode, String onMiss) throws Exception {
        JournalOptions options =
                new JournalOptions(
                        true,
                        journal,
                        4,
                        Duration.ofDays(1),
                        1000,
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(2),
                        mode,
                        null,
                        onMiss);
        var h =
                new KeyedOneInputStreamOperatorTestHarness<String, Trigger, Action>(
                        new LlmAgentOperatorFactory(
                                        JOB,
                                        llm(8, 3),
                                        agent(),
                                        TestCatalogue.create(),
                                        o -> fake,
                                        DLQ)
                                .withJournal(
                                        options, (job, subtask) -> new MemoryJournal(journal, 4)),
                        Trigger::key,
                        Types.STRING,
                        MAX_PARALLELISM,
                        1,
                        0);
        h.setProcessingTime(1_000);
        return h;
    }

    @Test
    void requestsAnsweredAfterTheSnapshotAreDecidedFromTheJournalAfterTheRestore()
            throws Exception {
        String journal = UUID.randomUUID().toString();
        FakeClient first = new FakeClient();
        var h = harness(first, journal);
        h.open();
        send(h, trigger("ACME", "a1", 10));
        send(h, trigger("GLOBX", "g1", 11));
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        reply(h, first.call(0), ALERT);
        reply(h, first.call(1), ALERT);
        List<Action> live = h.extractOutputValues();
        assertThat(live).hasSize(2);
        assertThat(new MemoryJournal(journal, 4).size()).isEqualTo(2);
        h.close();

        FakeClient second = new FakeClient();
        var restored = harness(second, journal);
        restored.initializeState(snapshot);
        restored.open();
        assertThat(second.calls).as("no request sent again").isEmpty();
        assertThat(restored.extractOutputValues())
                .as("the same actions, field for field")
                .containsExactlyInAnyOrderElementsOf(live);
        restored.close();
    }

    @Test
    void replayedTriggersAreGroupedAsTheJournalRecordedThem() throws Exception {
        String journal = UUID.randomUUID().toString();
        FakeClient first = new FakeClient();
        var h = harness(first, journal);
        h.open();
        OperatorSubtaskState snapshot = h.snapshot(1, 1); // before any trigger
        send(h, trigger("ACME", "a1", 10));
        send(h, trigger("ACME", "a2", 20)); // coalesced while a1 is pending
        send(h, trigger("ACME", "a3", 30));
        reply(h, first.call(0), ALERT);
        reply(h, first.call(1), ALERT); // the request for a2 and a3 together
        assertThat(first.calls).hasSize(2);
        List<Action> live = h.extractOutputValues();
        h.close();

        // The restore replays the three triggers as the source would, one after the other.
        FakeClient second = new FakeClient();
        var restored = harness(second, journal);
        restored.initializeState(snapshot);
        restored.open();
        send(restored, trigger("ACME", "a1", 10));
        send(restored, trigger("ACME", "a2", 20));
        send(restored, trigger("ACME", "a3", 30));
        assertThat(second.calls).as("both recorded requests served, none sent").isEmpty();
        assertThat(restored.extractOutputValues()).containsExactlyInAnyOrderElementsOf(live);
        restored.close();
    }

    @Test
    void aRecordedGroupWhoseRestDoesNotComeIsSentAfterTheGroupWait() throws Exception {
        String journal = UUID.randomUUID().toString();
        FakeClient first = new FakeClient();
        var h = harness(first, journal);
        h.open();
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        send(h, trigger("ACME", "a1", 10));
        send(h, trigger("ACME", "a2", 20));
        send(h, trigger("ACME", "a3", 30));
        reply(h, first.call(0), ALERT);
        reply(h, first.call(1), ALERT);
        h.close();

        FakeClient second = new FakeClient();
        var restored = harness(second, journal);
        restored.initializeState(snapshot);
        restored.open();
        send(restored, trigger("ACME", "a2", 20)); // a3 never comes: the input changed
        assertThat(second.calls).as("waiting for a3").isEmpty();
        advance(restored, 1_000 + 2_000);
        assertThat(second.calls).hasSize(1);
        assertThat(second.call(0).request().requestId())
                .isEqualTo(
                        io.reflex.operators.action.ActionIds.requestId(
                                JOB, List.of(trigger("ACME", "a2", 20))));
        reply(restored, second.call(0), ALERT);
        assertThat(restored.extractOutputValues()).hasSize(1);
        restored.close();
    }

    /** A recorded run: two keys, one of them with two requests. Returns its actions. */
    private static List<Action> record(String journal) throws Exception {
        FakeClient live = new FakeClient();
        var h = harness(live, journal, JournalOptions.RECORD, JournalOptions.DEAD_LETTER);
        h.open();
        send(h, trigger("ACME", "a1", 10));
        send(h, trigger("GLOBX", "g1", 11));
        reply(h, live.call(0), ALERT);
        reply(h, live.call(1), ALERT);
        send(h, trigger("ACME", "a2", 20)); // its prompt holds the memory of a1's decision
        reply(h, live.call(2), ALERT);
        List<Action> out = h.extractOutputValues();
        h.close();
        return out;
    }

    @Test
    void aReplayOfTheSameInputDecidesEverythingFromTheJournalIdentically() throws Exception {
        String journal = UUID.randomUUID().toString();
        List<Action> recorded = record(journal);
        assertThat(recorded).hasSize(3);
        for (int run = 0; run < 2; run++) {
            FakeClient none = new FakeClient();
            var h = harness(none, journal, JournalOptions.REPLAY, JournalOptions.FAIL);
            h.open();
            send(h, trigger("ACME", "a1", 10));
            send(h, trigger("GLOBX", "g1", 11));
            send(h, trigger("ACME", "a2", 20));
            assertThat(none.calls).as("replay %d calls nothing", run).isEmpty();
            assertThat(h.extractOutputValues()).containsExactlyElementsOf(recorded);
            h.close();
        }
    }

    @Test
    void aReplayMissIsDeadLetteredOrAskedLiveAsConfigured() throws Exception {
        String journal = UUID.randomUUID().toString();
        record(journal);

        FakeClient none = new FakeClient();
        var h = harness(none, journal, JournalOptions.REPLAY, JournalOptions.DEAD_LETTER);
        h.open();
        send(h, trigger("ACME", "a1", 10));
        send(h, trigger("INITECH", "i1", 12)); // never recorded
        assertThat(none.calls).isEmpty();
        assertThat(h.extractOutputValues()).hasSize(1);
        assertThat(LlmAgentOperatorTest.deadLetters(h))
                .singleElement()
                .extracting(io.reflex.operators.model.DeadLetter::reason)
                .asString()
                .startsWith("replay_miss: the journal has no answer for request");
        h.close();

        FakeClient live = new FakeClient();
        var l = harness(live, journal, JournalOptions.REPLAY, JournalOptions.LIVE);
        l.open();
        send(l, trigger("ACME", "a1", 10));
        send(l, trigger("INITECH", "i1", 12));
        assertThat(live.calls).as("only the miss is asked").hasSize(1);
        assertThat(live.call(0).key()).isEqualTo("INITECH");
        l.close();
    }
}
