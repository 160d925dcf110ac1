package io.reflex.operators.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.action.ActionIds;
import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.decide.AnswerInterpreter;
import io.reflex.operators.decide.PromptBuilder;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.llm.ChatMessage;
import io.reflex.operators.llm.LlmClient;
import io.reflex.operators.llm.LlmException;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.LlmRequest;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.RetryPolicy;
import io.reflex.operators.llm.TokenCounter;
import io.reflex.operators.llm.ToolCall;
import io.reflex.operators.llm.ToolSpec;
import io.reflex.operators.model.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle of each key's pending LLM request, apart from the operator's Flink plumbing: a
 * trigger starts a request or joins the key's backlog; the request goes out when the rate limiter
 * and the circuit breaker let it, and otherwise waits for a timer; its answer (through the mailbox)
 * is a tool round, a repair turn, a decision or a failure ({@link AnswerInterpreter}); a failure is
 * retried, parked or dead-lettered; the end of a request starts the next from the backlog.
 *
 * <p>It reaches the keyed state, the clock, the mailbox, timers and outputs only through {@link
 * AgentHost}, which {@link LlmAgentOperator} implements. Mailbox thread only.
 */
final class AgentRequests {
    private static final Logger LOG = LoggerFactory.getLogger(AgentRequests.class);

    static final String SCHEMA_NAME = "reflex_decision";

    private final String job;
    private final AgentOptions agent;
    private final LlmClient client;
    private final AgentHost host;
    private final WatermarkHold watermarks;
    private final AnswerInterpreter interpreter;
    private final PromptBuilder prompts;
    private final RetryPolicy retryPolicy;
    private final CircuitBreaker breaker;
    private final RateLimiter limiter;
    private final ObjectNode responseSchema;
    private final String responseSchemaText;
    private final List<ToolSpec> toolSpecs;

    /** The response journal; null when it is off. */
    private final AgentJournal journal;

    /** The spend budgets; null when there are none. */
    private final AgentBudget budget;

    private final ActiveKeys active = new ActiveKeys();
    private final AgentMetrics metrics;
    private final KeyWaits waits;
    private final RequestEnds ends;

    AgentRequests(
            String job,
            LlmOptions llm,
            AgentOptions agent,
            ActionCatalogue catalogue,
            LlmClient client,
            int parallelism,
            MetricGroup metricGroup,
            WatermarkHold watermarks,
            AgentJournal journal,
            AgentBudget budget,
            AgentOutputs outputs,
            AgentHost host) {
        this.job = job;
        this.journal = journal;
        this.budget = budget;
        this.agent = agent;
        this.client = client;
        this.host = host;
        this.watermarks = watermarks;
        this.interpreter =
                new AnswerInterpreter(
                        new ActionValidator(catalogue, true, agent.memoryMaxChars()),
                        agent.maxToolRounds(),
                        agent.repairInvalid());
        this.prompts = new PromptBuilder(llm, catalogue);
        this.retryPolicy = RetryPolicy.of(llm);
        this.breaker =
                new CircuitBreaker(agent.breakerFailures(), agent.breakerCooldown().toMillis());
        this.limiter =
                new RateLimiter(
                        agent.requestsPerMinute(),
                        agent.tokensPerMinute(),
                        parallelism,
                        agent.quotaFromHeaders(),
                        llm.maxTokens(),
                        host.now());
        // The request's fixed parts, built once: the catalogue does not change while the job runs.
        this.responseSchema = catalogue.responseSchema(true, agent.memoryMaxChars());
        this.responseSchemaText = responseSchema.toString();
        this.toolSpecs = AgentTools.specs();
        this.waits = new KeyWaits(active, breaker, host, this::issue);
        this.metrics =
                new AgentMetrics(
                        metricGroup, agent, active, breaker, limiter, active::backlog, host::now);
        this.ends =
                new RequestEnds(
                        job,
                        agent,
                        host,
                        active,
                        watermarks,
                        journal,
                        metrics,
                        outputs != null && outputs.any()
                                ? new AgentRecords(outputs, host, llm.model(), agent)
                                : null,
                        this::start);
    }

    ActiveKeys active() {
        return active;
    }

    AgentMetrics metrics() {
        return metrics;
    }

    /** The current key's new trigger: the start of a request, or one more in the key's backlog. */
    void onTrigger(Object key, Trigger trigger) throws Exception {
        watermarks.hold(trigger.eventTime());
        AgentKeyState s = host.pending();
        if (s != null && s.pending != null && s.pending.journalGroup != null) {
            // Waiting for the rest of a recorded group: the next of them joins, any other ends it.
            if (!journal.join(s.pending, trigger)) {
                backlog(s, trigger);
            }
            host.pending(s);
            if (s.pending.journalGroup == null) {
                start(key, s);
            }
            return;
        }
        if (s != null && s.pending != null) {
            backlog(s, trigger);
            host.pending(s);
            return;
        }
        s = new AgentKeyState();
        s.pending =
                new PendingRequest(ActionIds.requestId(job, List.of(trigger)), List.of(trigger));
        ActiveKeys.Key k = active.activate(key);
        s.pending.journalGroup = journal == null ? null : journal.recordedGroup(trigger);
        host.pending(s);
        if (s.pending.journalGroup != null) {
            // A replayed trigger that starts a recorded request of several: wait for the rest.
            waits.wake(key, k, ActiveKeys.Phase.GROUPING, host.now() + journal.groupWaitMs());
        } else {
            start(key, s);
        }
    }

    /** Starts the current key's new request: decided from the journal, or sent. */
    private void start(Object key, AgentKeyState s) throws Exception {
        if (!fromJournal(key, s)) {
            issue(key);
        }
    }

    /** Queues {@code trigger} behind the key's pending request; the oldest goes when it is full. */
    private void backlog(AgentKeyState s, Trigger trigger) {
        s.backlog.add(trigger);
        active.backlogged(1);
        metrics.coalesced.inc();
        if (s.backlog.size() > agent.maxBacklog()) {
            Trigger oldest = s.backlog.remove(0);
            active.backlogged(-1);
            host.deadLetter(
                    oldest,
                    "backlog of "
                            + agent.maxBacklog()
                            + " triggers for this key is full; the oldest is dead-lettered");
            watermarks.release(oldest.eventTime());
        }
    }

    /** The current key's restored work, if any: sent again by this subtask, which now owns it. */
    void restore(Object key) throws Exception {
        AgentKeyState s = host.pending();
        if (s == null || s.pending == null) {
            return;
        }
        // The job's downtime is not the request's: its deadline counts from the restore, while
        // the attempts it made before still count against llm.max-attempts.
        s.pending.firstAttemptAt = -1;
        s.pending.triggers.forEach(t -> watermarks.hold(t.eventTime()));
        s.backlog.forEach(t -> watermarks.hold(t.eventTime()));
        active.backlogged(s.backlog.size());
        active.activate(key);
        metrics.reissued.inc();
        if (journal != null) {
            if (fromJournal(key, s)) {
                return;
            }
            journal.missed();
        }
        issue(key);
    }

    /**
     * Decides the current key's pending request from the journal, when a restore found its answer
     * there: no call, the same action ids and records. False when it must be sent.
     */
    private boolean fromJournal(Object key, AgentKeyState s) throws Exception {
        AgentJournal.Served served =
                journal == null
                        ? null
                        : journal.serve(s.pending, interpreter, agent.maxToolRounds());
        if (served == null) {
            return false;
        }
        decideFrom(key, s, served);
        return true;
    }

    /** Ends the current key's request with a journaled decision: no call, nothing journaled. */
    private void decideFrom(Object key, AgentKeyState s, AgentJournal.Served served)
            throws Exception {
        s.pending.attempts = served.entry().attempts();
        ends.decide(
                key,
                s,
                served.decided(),
                served.entry().response(),
                served.entry().answeredAt(),
                false);
    }

    /**
     * In replay mode, decides the current key's new request from the recorded journal by its
     * content. True when it is still to be sent (a miss with {@code on-miss: live}); false when it
     * ended here: decided, or dead-lettered as a miss.
     */
    private boolean replayed(Object key, ActiveKeys.Key k, AgentKeyState s) throws Exception {
        AgentJournal.Served served =
                journal.replay(k.contentHash, interpreter, agent.maxToolRounds());
        if (served != null) {
            decideFrom(key, s, served);
            return false;
        }
        String miss =
                "replay_miss: the journal has no answer for request "
                        + s.pending.requestId
                        + " (content "
                        + k.contentHash
                        + ")";
        switch (journal.onMiss()) {
            case JournalOptions.LIVE:
                return true;
            case JournalOptions.FAIL:
                throw new IllegalStateException(miss + ", and llm.replay.on-miss is fail");
            default:
                ends.fail(key, s, miss);
                return false;
        }
    }

    /** Sends the current key's pending request now, or arranges to send it later. */
    void issue(Object key) throws Exception {
        ActiveKeys.Key k = active.get(key);
        if (k.phase() == ActiveKeys.Phase.IN_FLIGHT) {
            return;
        }
        AgentKeyState s = host.pending();
        PendingRequest p = s.pending;
        if (p.journalGroup != null) {
            // The rest of a recorded group did not come (in time): ask for what did come.
            p.journalGroup = null;
            host.pending(s);
            if (fromJournal(key, s)) {
                return;
            }
        }
        if (k.conversation == null) {
            AgentMemory memory = host.memory();
            k.conversation =
                    new ArrayList<>(
                            prompts.messages(p.triggers, memory == null ? null : memory.render()));
            if (journal != null) {
                k.contentHash =
                        journal.contentHash(
                                k.conversation,
                                responseSchemaText,
                                agent.maxToolRounds() > 0 ? toolSpecs : List.of());
            }
            p.toolRounds = 0;
            p.repaired = false;
            if (journal != null && journal.replaying() && !replayed(key, k, s)) {
                return;
            }
        }
        long now = host.now();
        // Count prompt tokens only when a tokens-per-minute limit or a budget needs them.
        long promptTokens =
                agent.tokensPerMinute() > 0 || budget != null
                        ? TokenCounter.count(k.conversation)
                        : 0;
        if (budget != null) {
            String over = budget.refuse(budget.perKey() ? host.tokens() : null, promptTokens, now);
            if (over != null) {
                budget.exceeded(p.triggers.size());
                ends.fail(key, s, over);
                return;
            }
        }
        long wait = limiter.acquire(now, promptTokens);
        if (wait > 0) {
            metrics.rateLimitWaits.inc();
            waits.wake(key, k, ActiveKeys.Phase.RATE_LIMITED, now + wait);
            return;
        }
        if (!breaker.allow(now)) {
            waits.park(k);
            return;
        }
        if (!k.continues) {
            p.attempts++;
            if (p.attempts > 1) {
                metrics.retries.inc();
            }
        }
        k.continues = false;
        if (p.firstAttemptAt < 0) {
            p.firstAttemptAt = now;
        }
        host.pending(s);
        long call = active.send(k);
        RateLimiter.Mark mark = limiter.mark();
        metrics.requests.inc();
        LlmRequest request =
                new LlmRequest(
                        p.requestId,
                        List.copyOf(k.conversation),
                        SCHEMA_NAME,
                        responseSchema,
                        p.toolRounds < agent.maxToolRounds() ? toolSpecs : List.of());
        client.complete(request)
                .whenComplete(
                        (response, error) -> {
                            try {
                                host.onMailbox(
                                        () -> onAnswer(key, call, mark, response, error),
                                        "reflex-llm-answer");
                            } catch (RejectedExecutionException closing) {
                                // the task is shutting down; the request stays pending in state
                            }
                        });
    }

    private void onAnswer(
            Object key, long call, RateLimiter.Mark mark, LlmResponse response, Throwable error)
            throws Exception {
        long now = host.now();
        LlmException failure = error == null ? null : LlmException.from(error);
        // Every answer tells the quota's state, a superseded one's too.
        observeQuota(mark, response, failure, now);
        if (!active.answered(key, call)) {
            return; // superseded
        }
        host.setKey(key);
        AgentKeyState s = host.pending();
        if (s == null || s.pending == null) {
            return;
        }
        if (failure != null) {
            onFailure(key, s, failure, now);
            return;
        }
        if (breaker.state() != CircuitBreaker.CLOSED) {
            LOG.info("LLM circuit breaker closed: the probe succeeded");
        }
        breaker.onSuccess();
        waits.releaseParked();
        metrics.answered(response);
        if (budget != null) {
            KeyTokens used =
                    budget.spent(
                            budget.perKey() ? host.tokens() : null,
                            response.promptTokens(),
                            response.completionTokens(),
                            now);
            if (budget.perKey()) {
                host.tokens(used);
            }
        }
        PendingRequest p = s.pending;
        ActiveKeys.Key k = active.get(key);
        AnswerInterpreter.Interpretation meaning =
                interpreter.interpret(response, p.toolRounds, p.repaired);
        if (meaning instanceof AnswerInterpreter.ToolRound round) {
            p.toolRounds++;
            metrics.toolRounds.inc();
            k.conversation.add(round.assistant());
            AgentMemory memory = host.memory();
            for (ToolCall c : round.calls()) {
                k.conversation.add(
                        ChatMessage.tool(c.id(), AgentTools.evaluate(c, p.triggers, memory)));
            }
            continueConversation(key, k, s);
        } else if (meaning instanceof AnswerInterpreter.Repair repair) {
            metrics.invalidAnswers.inc();
            metrics.repairs.inc();
            p.repaired = true;
            k.conversation.addAll(repair.turn());
            continueConversation(key, k, s);
        } else if (meaning instanceof AnswerInterpreter.Failed failed) {
            if (failed.invalidAnswer()) {
                metrics.invalidAnswers.inc();
            }
            ends.fail(key, s, failed.reason());
        } else {
            ends.decide(
                    key,
                    s,
                    (AnswerInterpreter.Decided) meaning,
                    response,
                    System.currentTimeMillis(),
                    true);
        }
    }

    private void observeQuota(
            RateLimiter.Mark mark, LlmResponse response, LlmException failure, long now) {
        if (failure == null) {
            limiter.answered(mark, response.rateLimits(), now, response.promptTokens());
        } else if (failure.status() == 429) {
            limiter.rateLimited(mark, failure.rateLimits(), now);
        } else {
            limiter.answered(mark, failure.rateLimits(), now, 0);
        }
    }

    private void onFailure(Object key, AgentKeyState s, LlmException e, long now) throws Exception {
        PendingRequest p = s.pending;
        metrics.failure(e.cause());
        p.lastError = e.getMessage();
        if (!e.retryable()) {
            breaker.onSuccess(); // the endpoint answered; the request is at fault
            waits.releaseParked();
            ends.fail(key, s, "after " + p.attempts + " attempt(s): " + e.getMessage());
            return;
        }
        boolean wasOpen = breaker.isOpen();
        breaker.onFailure(now);
        if (breaker.isOpen()) {
            if (!wasOpen) {
                LOG.warn(
                        "LLM circuit breaker open after {}; calls resume with a probe at {}",
                        e.getMessage(),
                        Instant.ofEpochMilli(breaker.reopensAt()));
            }
            // The endpoint is down, not this request: park it without spending its attempts.
            p.attempts = Math.max(0, p.attempts - 1);
            p.firstAttemptAt = -1;
            host.pending(s);
            waits.park(active.get(key));
            return;
        }
        Duration delay = retryPolicy.nextDelay(p.attempts, e, now - p.firstAttemptAt);
        if (delay == null) {
            ends.fail(key, s, "after " + p.attempts + " attempt(s): " + e.getMessage());
            return;
        }
        host.pending(s);
        waits.wake(key, active.get(key), ActiveKeys.Phase.BACKING_OFF, now + delay.toMillis());
    }

    private void continueConversation(Object key, ActiveKeys.Key k, AgentKeyState s)
            throws Exception {
        host.pending(s);
        k.continues = true;
        issue(key);
    }
}
