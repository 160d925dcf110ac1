package io.reflex.operators.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.action.ActionIds;
import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.action.Actions;
import io.reflex.operators.decide.AnswerInterpreter;
import io.reflex.operators.decide.PromptBuilder;
import io.reflex.operators.llm.ChatMessage;
import io.reflex.operators.llm.LlmClient;
import io.reflex.operators.llm.LlmClientFactory;
import io.reflex.operators.llm.LlmException;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.LlmRequest;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.RetryPolicy;
import io.reflex.operators.llm.TokenCounter;
import io.reflex.operators.llm.ToolCall;
import io.reflex.operators.llm.ToolSpec;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reflex's keyed LLM agent: an asynchronous operator that keeps keyed state on both sides of the
 * call.
 *
 * <ul>
 *   <li><b>One request per key.</b> Triggers that arrive while a key's request is pending are
 *       coalesced into its next request (a bounded backlog); other keys never wait on it.
 *   <li><b>Pending requests are keyed state</b> ({@link AgentKeyState}): their triggers, attempts
 *       and first-attempt time are checkpointed with the key, and re-issued in {@link #open()}
 *       after a restore, by the subtask that owns the key at the new parallelism.
 *   <li><b>Never blocks the mailbox thread.</b> Answers come back through the mailbox with the key
 *       set; retries, rate-limit waits and the breaker's cool-down are processing-time callbacks.
 *       At capacity, {@link #processElement} yields to the mailbox until a request ends.
 *   <li><b>Retries</b> follow {@link RetryPolicy}; a {@link CircuitBreaker} parks requests while
 *       the endpoint is down; a {@link RateLimiter} keeps to requests and tokens per minute.
 *   <li><b>Structured output</b> is validated; an invalid answer gets one repair turn with the
 *       error fed back. The model may call read-only {@link AgentTools} for a bounded number of
 *       rounds. Per-key {@link AgentMemory} (past decisions and a note) goes into the prompt.
 *   <li><b>Watermarks</b> are held back to the oldest pending trigger ({@link WatermarkHold}).
 * </ul>
 *
 * <p>The operator coordinates; each concern has a class of its own: {@link ActiveKeys} (each active
 * key's phase: in flight, backing off, rate-limited, parked), {@link AnswerInterpreter} (what an
 * answer means: tool round, repair, decision or failure; shared with the stateless function),
 * {@link AgentMemory}, {@link WatermarkHold} and {@link AgentMetrics}.
 *
 * <p>Every trigger ends as actions, an explicit no-action decision, or a dead letter on {@link
 * #deadLetters}.
 */
@Internal
public class LlmAgentOperator extends AbstractStreamOperator<Action>
        implements OneInputStreamOperator<Trigger, Action>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(LlmAgentOperator.class);

    static final String SCHEMA_NAME = "reflex_decision";

    private final String job;
    private final LlmOptions llm;
    private final AgentOptions agent;
    private final ActionCatalogue catalogue;
    private final LlmClientFactory clientFactory;
    private final OutputTag<DeadLetter> deadLetters;
    private final transient MailboxExecutor mailbox;

    // ---- runtime, rebuilt from keyed state on restore; touched on the mailbox thread only ----
    private transient LlmClient client;
    private transient ValueState<AgentKeyState> keyState;
    private transient ValueState<AgentMemory> memoryState;
    private transient AnswerInterpreter interpreter;
    private transient PromptBuilder prompts;
    private transient RetryPolicy retryPolicy;
    private transient CircuitBreaker breaker;
    private transient RateLimiter limiter;
    private transient ObjectNode responseSchema;
    private transient List<ToolSpec> toolSpecs;
    private transient ActiveKeys active;
    private transient WatermarkHold watermarks;
    private transient AgentMetrics metrics;
    private transient boolean breakerWakeScheduled;
    private transient int backlogSize;

    public LlmAgentOperator(
            StreamOperatorParameters<Action> parameters,
            String job,
            LlmOptions llm,
            AgentOptions agent,
            ActionCatalogue catalogue,
            LlmClientFactory clientFactory,
            OutputTag<DeadLetter> deadLetters,
            MailboxExecutor mailbox) {
        super(parameters);
        this.job = job;
        this.llm = llm;
        this.agent = agent;
        this.catalogue = catalogue;
        this.clientFactory = clientFactory;
        this.deadLetters = deadLetters;
        this.mailbox = mailbox;
    }

    @Override
    public void open() throws Exception {
        super.open();
        int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        client = clientFactory.create(llm);
        keyState = getRuntimeContext().getState(AgentState.keyStateDescriptor());
        memoryState = getRuntimeContext().getState(AgentState.memoryStateDescriptor(agent));
        interpreter =
                new AnswerInterpreter(
                        new ActionValidator(catalogue, true, agent.memoryMaxChars()),
                        agent.maxToolRounds(),
                        agent.repairInvalid());
        prompts = new PromptBuilder(llm, catalogue);
        retryPolicy = RetryPolicy.of(llm);
        breaker = new CircuitBreaker(agent.breakerFailures(), agent.breakerCooldown().toMillis());
        limiter =
                new RateLimiter(
                        agent.requestsPerMinute(),
                        agent.tokensPerMinute(),
                        parallelism,
                        agent.quotaFromHeaders(),
                        llm.maxTokens(),
                        now());
        // The request's fixed parts, built once: the catalogue does not change while the job runs.
        responseSchema = catalogue.responseSchema(true, agent.memoryMaxChars());
        toolSpecs = AgentTools.specs();
        active = new ActiveKeys();
        watermarks = new WatermarkHold();
        metrics =
                new AgentMetrics(
                        getMetricGroup(),
                        agent,
                        active,
                        breaker,
                        limiter,
                        () -> backlogSize,
                        this::now);
        TokenCounter.count("warm up"); // loads the tokenizer's ranks now, not on a trigger
        reissueRestoredRequests();
    }

    /** Re-issues every request that was pending in the restored state of this subtask's keys. */
    private void reissueRestoredRequests() throws Exception {
        List<Object> keys = new ArrayList<>();
        getKeyedStateBackend()
                .applyToAllKeys(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        AgentState.keyStateDescriptor(),
                        (key, state) -> keys.add(key));
        for (Object key : keys) {
            setCurrentKey(key);
            AgentKeyState s = keyState.value();
            if (s == null || s.pending == null) {
                continue;
            }
            s.pending.triggers.forEach(t -> watermarks.hold(t.eventTime()));
            s.backlog.forEach(t -> watermarks.hold(t.eventTime()));
            backlogSize += s.backlog.size();
            active.activate(key);
            metrics.reissued.inc();
            issue(key);
        }
    }

    // ------------------------------------------------------------------ input

    @Override
    public void processElement(StreamRecord<Trigger> record) throws Exception {
        Object key = getCurrentKey();
        while (active.size() >= llm.maxConcurrent() && !active.contains(key)) {
            metrics.capacityWaits.inc();
            mailbox.yield(); // answers and timers run meanwhile, and may change the current key
        }
        setCurrentKey(key);
        Trigger trigger = record.getValue();
        watermarks.hold(trigger.eventTime());
        AgentKeyState s = keyState.value();
        if (s != null && s.pending != null) {
            s.backlog.add(trigger);
            backlogSize++;
            metrics.coalesced.inc();
            if (s.backlog.size() > agent.maxBacklog()) {
                Trigger oldest = s.backlog.remove(0);
                backlogSize--;
                deadLetter(
                        oldest,
                        "backlog of "
                                + agent.maxBacklog()
                                + " triggers for this key is full; the oldest is dead-lettered");
                watermarks.release(oldest.eventTime());
            }
            keyState.update(s);
            return;
        }
        s = new AgentKeyState();
        s.pending =
                new PendingRequest(ActionIds.requestId(job, List.of(trigger)), List.of(trigger));
        keyState.update(s);
        active.activate(key);
        issue(key);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        watermarks.input(mark.getTimestamp());
        advanceWatermark();
    }

    @Override
    public void endInput() throws Exception {
        while (!active.isEmpty()) {
            mailbox.yield();
        }
    }

    // ------------------------------------------------------------------ calls

    /** Sends the current key's pending request now, or arranges to send it later. */
    private void issue(Object key) throws Exception {
        ActiveKeys.Key k = active.get(key);
        if (k.phase() == ActiveKeys.Phase.IN_FLIGHT) {
            return;
        }
        AgentKeyState s = keyState.value();
        PendingRequest p = s.pending;
        if (k.conversation == null) {
            AgentMemory memory = memoryState.value();
            k.conversation =
                    new ArrayList<>(
                            prompts.messages(p.triggers, memory == null ? null : memory.render()));
            p.toolRounds = 0;
            p.repaired = false;
        }
        long now = now();
        // Count prompt tokens only when a tokens-per-minute limit needs them.
        long promptTokens = agent.tokensPerMinute() > 0 ? TokenCounter.count(k.conversation) : 0;
        long wait = limiter.acquire(now, promptTokens);
        if (wait > 0) {
            metrics.rateLimitWaits.inc();
            wake(key, k, ActiveKeys.Phase.RATE_LIMITED, now + wait);
            return;
        }
        if (!breaker.allow(now)) {
            park(k);
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
        keyState.update(s);
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
                                mailbox.execute(
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
        long now = now();
        LlmException failure = error == null ? null : LlmException.from(error);
        // Every answer tells the quota's state, a superseded one's too.
        observeQuota(mark, response, failure, now);
        if (!active.answered(key, call)) {
            return; // superseded
        }
        setCurrentKey(key);
        AgentKeyState s = keyState.value();
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
        releaseParked();
        metrics.answered(response);
        PendingRequest p = s.pending;
        ActiveKeys.Key k = active.get(key);
        AnswerInterpreter.Interpretation meaning =
                interpreter.interpret(response, p.toolRounds, p.repaired);
        if (meaning instanceof AnswerInterpreter.ToolRound round) {
            p.toolRounds++;
            metrics.toolRounds.inc();
            k.conversation.add(round.assistant());
            AgentMemory memory = memoryState.value();
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
            fail(key, s, failed.reason());
        } else {
            decide(key, s, (AnswerInterpreter.Decided) meaning, response);
        }
    }

    /** Emits a valid decision's actions, remembers it, and ends the request. */
    private void decide(
            Object key, AgentKeyState s, AnswerInterpreter.Decided decided, LlmResponse response)
            throws Exception {
        PendingRequest p = s.pending;
        List<Action> actions =
                Actions.of(
                        p.requestId,
                        p.triggers,
                        decided.actions(),
                        response,
                        p.attempts,
                        System.currentTimeMillis());
        long timestamp = p.triggers.get(p.triggers.size() - 1).eventTime();
        for (Action a : actions) {
            output.collect(new StreamRecord<>(a, timestamp));
        }
        metrics.successes.inc();
        metrics.actions.inc(actions.size());
        if (actions.isEmpty()) {
            metrics.noAction.inc();
        }
        AgentMemory memory = memoryState.value();
        if (memory == null) {
            memory = new AgentMemory();
        }
        memory.record(
                timestamp,
                actions,
                decided.memory(),
                agent.memoryDecisions(),
                agent.memoryMaxChars());
        memoryState.update(memory);
        finish(key, s);
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
            releaseParked();
            fail(key, s, "after " + p.attempts + " attempt(s): " + e.getMessage());
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
            keyState.update(s);
            park(active.get(key));
            return;
        }
        Duration delay = retryPolicy.nextDelay(p.attempts, e, now - p.firstAttemptAt);
        if (delay == null) {
            fail(key, s, "after " + p.attempts + " attempt(s): " + e.getMessage());
            return;
        }
        keyState.update(s);
        wake(key, active.get(key), ActiveKeys.Phase.BACKING_OFF, now + delay.toMillis());
    }

    private void continueConversation(Object key, ActiveKeys.Key k, AgentKeyState s)
            throws Exception {
        keyState.update(s);
        k.continues = true;
        issue(key);
    }

    /** Dead-letters every trigger of the pending request, then moves on. */
    private void fail(Object key, AgentKeyState s, String reason) throws Exception {
        metrics.failures.inc();
        for (Trigger t : s.pending.triggers) {
            deadLetter(t, reason);
        }
        finish(key, s);
    }

    /** Ends the pending request: starts the next from the backlog, or clears the key. */
    private void finish(Object key, AgentKeyState s) throws Exception {
        s.pending.triggers.forEach(t -> watermarks.release(t.eventTime()));
        ActiveKeys.Key k = active.get(key);
        k.conversation = null;
        k.continues = false;
        if (!s.backlog.isEmpty()) {
            List<Trigger> next = s.backlog;
            backlogSize -= next.size();
            s.pending = new PendingRequest(ActionIds.requestId(job, next), next);
            s.backlog = new ArrayList<>();
            keyState.update(s);
            issue(key);
        } else {
            keyState.clear();
            active.remove(key);
        }
        advanceWatermark();
    }

    // ------------------------------------------------------------------ waiting

    /** Calls {@link #issue} for {@code key} at {@code time}, unless the key moves on before. */
    private void wake(Object key, ActiveKeys.Key k, ActiveKeys.Phase phase, long time) {
        active.waitUntil(k, phase, time);
        getProcessingTimeService()
                .registerTimer(
                        time,
                        t -> {
                            if (!active.wake(key, time)) {
                                return;
                            }
                            setCurrentKey(key);
                            AgentKeyState s = keyState.value();
                            if (s != null && s.pending != null) {
                                issue(key);
                            }
                        });
    }

    /** Holds the key until the breaker lets calls through again. */
    private void park(ActiveKeys.Key k) {
        active.park(k);
        if (breaker.isOpen() && !breakerWakeScheduled) {
            breakerWakeScheduled = true;
            getProcessingTimeService()
                    .registerTimer(
                            breaker.reopensAt(),
                            t -> {
                                breakerWakeScheduled = false;
                                releaseParked();
                            });
        }
    }

    /** Lets parked keys try again; in half-open state only one gets through, as the probe. */
    private void releaseParked() throws Exception {
        List<Object> keys = active.unpark();
        if (keys.isEmpty()) {
            return;
        }
        Object current = getCurrentKey();
        for (Object key : keys) {
            setCurrentKey(key);
            AgentKeyState s = keyState.value();
            if (s != null && s.pending != null) {
                issue(key); // parks the key again if the breaker still says no
            }
        }
        if (current != null) {
            setCurrentKey(current); // the caller goes on with its own key's state
        }
    }

    // ------------------------------------------------------------------ output

    private void deadLetter(Trigger t, String reason) {
        metrics.deadLetters.inc();
        output.collect(
                deadLetters, new StreamRecord<>(DeadLetter.ofTrigger(reason, t), t.eventTime()));
    }

    /** Emits the input watermark, held back below the oldest pending trigger. */
    private void advanceWatermark() {
        long w = watermarks.advance();
        if (w != WatermarkHold.UNCHANGED) {
            output.emitWatermark(new Watermark(w));
        }
    }

    private long now() {
        return getProcessingTimeService().getCurrentProcessingTime();
    }

    @Override
    public void close() throws Exception {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            super.close();
        }
    }
}
