package io.reflex.operators.agent;

import io.reflex.operators.action.ActionIds;
import io.reflex.operators.decide.AnswerInterpreter;
import io.reflex.operators.journal.AnswerJournal;
import io.reflex.operators.journal.JournalEntry;
import io.reflex.operators.journal.JournalIndex;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.journal.JournalPosition;
import io.reflex.operators.llm.ChatMessage;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.ToolSpec;
import io.reflex.operators.model.Trigger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the LLM response journal: every answer the agent decides on is appended as it
 * arrives, before its actions are emitted; a restore reads back what its key groups' partitions
 * received since the checkpoint, and a request found there is decided from the journal instead of
 * calling the LLM again.
 *
 * <p>Each checkpoint records, per journal partition this subtask reads, the offset from which a
 * restore must read: at most the partition's end at the checkpoint, since entries appended later
 * get higher offsets. The positions are union list state: after a rescale every subtask sees them
 * all and reads, from the lowest recorded for each, the partitions of the key groups it now owns.
 * Mailbox thread only.
 */
final class AgentJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentJournal.class);

    static final ListStateDescriptor<JournalPosition> POSITIONS =
            new ListStateDescriptor<>("reflex-journal-positions", JournalPosition.class);

    private final String job;
    private final AnswerJournal journal;
    private final JournalIndex index;
    private final int maxParallelism;
    private final KeyGroupRange keyGroups;
    private final String model;
    private final AgentOptions agent;
    private final long groupWaitMs;
    private final JournalOptions options;

    /** In replay mode: the journal's answers for this subtask's key groups, by content hash. */
    private final Map<String, JournalEntry> byContent;

    /** Per partition read by this subtask: where a restore from a checkpoint taken now starts. */
    private final Map<Integer, Long> floor = new HashMap<>();

    private final Counter hits;
    private final Counter misses;
    private final Counter costSavedMicroUsd;

    AgentJournal(
            String job,
            AnswerJournal journal,
            JournalOptions options,
            int maxParallelism,
            KeyGroupRange keyGroups,
            String model,
            AgentOptions agent,
            MetricGroup metrics) {
        this.job = job;
        this.journal = journal;
        this.index = new JournalIndex(options.maxRestoreEntries());
        this.maxParallelism = maxParallelism;
        this.keyGroups = keyGroups;
        this.model = model;
        this.agent = agent;
        this.groupWaitMs = options.groupWait().toMillis();
        this.options = options;
        int bound = options.maxRestoreEntries();
        this.byContent =
                new LinkedHashMap<>() {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, JournalEntry> eldest) {
                        return size() > bound;
                    }
                };
        MetricGroup g = metrics.addGroup("reflex").addGroup("journal");
        hits = g.counter("journalHits");
        misses = g.counter("journalMisses");
        costSavedMicroUsd = g.counter("journalCostSavedMicroUsd");
        g.gauge("journalWrites", journal::writes);
        g.gauge("journalWriteFailures", journal::writeFailures);
        g.gauge("journalIndexSize", index::size);
    }

    /**
     * Sets where this subtask's partitions start: from {@code restored} (every subtask's recorded
     * positions; empty on a fresh start), reading what was written since into the index, or from
     * the partitions' ends.
     */
    void open(Iterable<JournalPosition> restored) throws Exception {
        TreeSet<Integer> partitions = new TreeSet<>();
        for (int kg = keyGroups.getStartKeyGroup(); kg <= keyGroups.getEndKeyGroup(); kg++) {
            partitions.add(journal.partition(kg));
        }
        Map<Integer, Long> from = new HashMap<>();
        for (JournalPosition p : restored) {
            if (partitions.contains(p.partition)) {
                from.merge(p.partition, p.offset, Math::min);
            }
        }
        List<Integer> fresh = new ArrayList<>();
        for (int p : partitions) {
            if (!from.containsKey(p)) {
                fresh.add(p);
            }
        }
        floor.putAll(journal.endOffsets(fresh));
        if (options.replaying()) {
            long started = System.nanoTime();
            long read =
                    journal.readAll(
                            e -> {
                                if (ours(e) && e.contentHash() != null) {
                                    byContent.put(e.contentHash(), e);
                                }
                            });
            LOG.info(
                    "replay: read {} journal entries from {}, {} for this subtask's key groups,"
                            + " in {} ms",
                    read,
                    options.replaySource(),
                    byContent.size(),
                    (System.nanoTime() - started) / 1_000_000);
        }
        if (from.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        long[] ours = {0};
        long read =
                journal.replay(
                        from,
                        e -> {
                            if (ours(e)) {
                                index.add(e);
                                ours[0]++;
                            }
                        });
        floor.putAll(from);
        LOG.info(
                "read {} journal entries ({} for this subtask's key groups, {} kept) from {}"
                        + " partition(s) in {} ms",
                read,
                ours[0],
                index.size(),
                from.size(),
                (System.nanoTime() - started) / 1_000_000);
    }

    private boolean ours(JournalEntry e) {
        return e.key() != null
                && keyGroups.contains(
                        KeyGroupRangeAssignment.assignToKeyGroup(e.key(), maxParallelism));
    }

    /** Whether requests are decided from a recorded journal ({@code llm.mode: replay}). */
    boolean replaying() {
        return options.replaying();
    }

    /** What replay does with a request it has no answer for. */
    String onMiss() {
        return options.onMiss();
    }

    /**
     * In replay mode, the recorded decision of the request whose content hashes to {@code
     * contentHash}; null on a miss, counted.
     */
    Served replay(String contentHash, AnswerInterpreter interpreter, int maxToolRounds) {
        JournalEntry entry = byContent.remove(contentHash);
        Served served = entry == null ? null : decision(entry, interpreter, maxToolRounds);
        if (served == null) {
            misses.inc();
        }
        return served;
    }

    /** Records, in {@code state}, where a restore from this checkpoint starts reading. */
    void snapshot(ListState<JournalPosition> state) throws Exception {
        List<JournalPosition> positions = new ArrayList<>(floor.size());
        for (Map.Entry<Integer, Long> e : floor.entrySet()) {
            long p = Math.max(e.getValue(), journal.position(e.getKey()));
            positions.add(new JournalPosition(e.getKey(), p));
        }
        state.update(positions);
    }

    /** A request decided from the journal: its entry, and the decision the entry holds. */
    record Served(JournalEntry entry, AnswerInterpreter.Decided decided) {}

    /**
     * The journaled decision of {@code p}, taken out of the index; null when the journal has no
     * answer for it, or one that no longer validates (the catalogue changed), and it must be sent.
     * Only a restored subtask has any.
     */
    Served serve(PendingRequest p, AnswerInterpreter interpreter, int maxToolRounds) {
        JournalEntry entry = index.isEmpty() ? null : index.take(p.requestId);
        return entry == null ? null : decision(entry, interpreter, maxToolRounds);
    }

    /** The decision {@code entry} holds, counted as a hit; null when it no longer validates. */
    private Served decision(JournalEntry entry, AnswerInterpreter interpreter, int maxToolRounds) {
        AnswerInterpreter.Interpretation meaning =
                interpreter.interpret(entry.response(), maxToolRounds, true);
        if (!(meaning instanceof AnswerInterpreter.Decided decided)) {
            LOG.warn(
                    "the journaled answer to request {} is no longer valid; asking the LLM again",
                    entry.requestId());
            return null;
        }
        hits.inc();
        costSavedMicroUsd.inc(agent.costMicroUsd(entry.promptTokens(), entry.completionTokens()));
        return new Served(entry, decided);
    }

    /**
     * The trigger ids of the recorded request that {@code first} starts, when it was recorded with
     * others; null otherwise. A replay brings the others next: waiting for them keeps coalescing
     * timing from turning a recorded request into new ones.
     */
    List<String> recordedGroup(Trigger first) {
        if (index.isEmpty()) {
            return null;
        }
        String id = ActionIds.requestId(job, first);
        JournalEntry recorded = index.covering(id);
        if (recorded == null
                || recorded.triggerIds().size() < 2
                || !recorded.triggerIds().get(0).equals(id)) {
            return null;
        }
        return recorded.triggerIds();
    }

    /**
     * Adds {@code t} to {@code p}, which waits for its recorded group, if it is the group's next
     * trigger, and ends the wait once the group is complete; false, ending the wait, if it is not.
     */
    boolean join(PendingRequest p, Trigger t) {
        List<String> group = p.journalGroup;
        if (!group.get(p.triggers.size()).equals(ActionIds.requestId(job, t))) {
            p.journalGroup = null;
            return false;
        }
        p.triggers.add(t);
        p.requestId = ActionIds.requestId(job, p.triggers);
        if (p.triggers.size() == group.size()) {
            p.journalGroup = null;
        }
        return true;
    }

    /** How long a restored request waits for the rest of its recorded group. */
    long groupWaitMs() {
        return groupWaitMs;
    }

    /** A request that a restore found pending was not in the journal: it calls the LLM again. */
    void missed() {
        misses.inc();
    }

    /** Appends the answer that {@code p} is about to be decided on; never blocks. */
    void record(
            Object key,
            PendingRequest p,
            String contentHash,
            LlmResponse response,
            long answeredAt) {
        List<String> triggerIds = new ArrayList<>(p.triggers.size());
        p.triggers.forEach(t -> triggerIds.add(ActionIds.requestId(job, t)));
        JournalEntry entry =
                new JournalEntry(
                        p.requestId,
                        String.valueOf(key),
                        contentHash,
                        triggerIds,
                        response.model(),
                        response.content(),
                        response.promptTokens(),
                        response.completionTokens(),
                        response.latencyMs(),
                        p.attempts,
                        answeredAt);
        int kg = KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism);
        journal.append(journal.partition(kg), entry);
    }

    /**
     * SHA-256 of what a request asks: the model, its first messages, the response schema and the
     * tools offered. Two requests with the same hash get the same answer in replay.
     */
    String contentHash(List<ChatMessage> messages, String schema, List<ToolSpec> tools) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            update(d, model);
            for (ChatMessage m : messages) {
                update(d, m.role());
                update(d, m.content());
            }
            update(d, schema);
            for (ToolSpec t : tools) {
                update(d, t.name());
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static void update(MessageDigest d, String s) {
        d.update((s == null ? "" : s).getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
    }

    @Override
    public void close() throws Exception {
        journal.close();
    }
}
