package io.reflex.operators.agent;

import io.reflex.operators.action.ActionIds;
import io.reflex.operators.action.Actions;
import io.reflex.operators.decide.AnswerInterpreter;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.Trigger;
import java.util.ArrayList;
import java.util.List;

/**
 * How a key's request ends: a decision (its actions emitted, journaled first when live, and
 * remembered in the key's memory) or a failure (every trigger dead-lettered with the reason), each
 * with its audit record and state change when those are on ({@link AgentRecords}); then the key's
 * backlog becomes its next request, or the key is done. Mailbox thread only.
 */
final class RequestEnds {

    /** Starts the current key's new request: from the journal, or by sending it. */
    @FunctionalInterface
    interface Starter {
        void start(Object key, AgentKeyState s) throws Exception;
    }

    private final String job;
    private final AgentOptions agent;
    private final AgentHost host;
    private final ActiveKeys active;
    private final WatermarkHold watermarks;
    private final AgentJournal journal;
    private final AgentMetrics metrics;
    private final AgentRecords records;
    private final Starter starter;

    RequestEnds(
            String job,
            AgentOptions agent,
            AgentHost host,
            ActiveKeys active,
            WatermarkHold watermarks,
            AgentJournal journal,
            AgentMetrics metrics,
            AgentRecords records,
            Starter starter) {
        this.job = job;
        this.agent = agent;
        this.host = host;
        this.active = active;
        this.watermarks = watermarks;
        this.journal = journal;
        this.metrics = metrics;
        this.records = records;
        this.starter = starter;
    }

    /**
     * Emits a valid decision's actions, remembers it, and ends the request. A live answer is
     * journaled first ({@code journalIt}), so that a restore after its actions were emitted but
     * before they were committed does not buy it again.
     */
    void decide(
            Object key,
            AgentKeyState s,
            AnswerInterpreter.Decided decided,
            LlmResponse response,
            long decidedAt,
            boolean journalIt)
            throws Exception {
        PendingRequest p = s.pending;
        if (journalIt && journal != null) {
            journal.record(key, p, active.get(key).contentHash, response, decidedAt);
        }
        List<Action> actions =
                Actions.of(
                        p.requestId,
                        p.triggers,
                        decided.actions(),
                        response,
                        p.attempts,
                        decidedAt);
        long timestamp = p.triggers.get(p.triggers.size() - 1).eventTime();
        for (Action a : actions) {
            host.emit(a, timestamp);
        }
        metrics.successes.inc();
        metrics.actions.inc(actions.size());
        if (actions.isEmpty()) {
            metrics.noAction.inc();
        }
        AgentMemory memory = host.memory();
        if (memory == null) {
            memory = new AgentMemory();
        }
        memory.record(
                timestamp,
                actions,
                decided.memory(),
                agent.memoryDecisions(),
                agent.memoryMaxChars());
        host.memory(memory);
        if (records != null) {
            records.decided(
                    (String) key,
                    p,
                    actions,
                    memory.note,
                    response,
                    journalIt,
                    decidedAt,
                    active.get(key).conversation,
                    timestamp);
        }
        finish(key, s);
    }

    /** Dead-letters every trigger of the pending request, then moves on. */
    void fail(Object key, AgentKeyState s, String reason) throws Exception {
        metrics.failures.inc();
        for (Trigger t : s.pending.triggers) {
            host.deadLetter(t, reason);
        }
        if (records != null) {
            List<Trigger> triggers = s.pending.triggers;
            records.failed(
                    (String) key,
                    s.pending,
                    reason,
                    host.now(),
                    active.get(key).conversation,
                    triggers.get(triggers.size() - 1).eventTime());
        }
        finish(key, s);
    }

    /** Ends the pending request: starts the next from the backlog, or clears the key. */
    private void finish(Object key, AgentKeyState s) throws Exception {
        s.pending.triggers.forEach(t -> watermarks.release(t.eventTime()));
        ActiveKeys.Key k = active.get(key);
        k.conversation = null;
        k.contentHash = null;
        k.continues = false;
        if (!s.backlog.isEmpty()) {
            List<Trigger> next = s.backlog;
            active.backlogged(-next.size());
            s.pending = new PendingRequest(ActionIds.requestId(job, next), next);
            s.backlog = new ArrayList<>();
            host.pending(s);
            starter.start(key, s);
        } else {
            host.clearPending();
            active.remove(key);
        }
        host.advanceWatermark();
    }
}
