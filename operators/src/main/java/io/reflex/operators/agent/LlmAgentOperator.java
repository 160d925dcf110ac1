package io.reflex.operators.agent;

import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.action.ActionIds;
import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.action.Actions;
import io.reflex.operators.llm.ChatMessage;
import io.reflex.operators.llm.LlmAsyncFunction;
import io.reflex.operators.llm.LlmClient;
import io.reflex.operators.llm.LlmException;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.LlmRequest;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.PromptBuilder;
import io.reflex.operators.llm.RetryPolicy;
import io.reflex.operators.llm.TokenCounter;
import io.reflex.operators.llm.ToolCall;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
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
 *   <li><b>Watermarks</b> are held back to the oldest pending trigger.
 * </ul>
 *
 * <p>Every trigger ends as actions, an explicit no-action decision, or a dead letter on {@link
 * #deadLetters}.
 */
@Internal
public class LlmAgentOperator extends AbstractStreamOperator<Action>
        implements OneInputStreamOperator<Trigger, Action>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(LlmAgentOperator.class);

    public static final String KEY_STATE_NAME = "agent-key-state";
    public static final String MEMORY_STATE_NAME = "agent-memory";

    static final String SCHEMA_NAME = "reflex_decision";

    private final String job;
    private final LlmOptions llm;
    private final AgentOptions agent;
    private final ActionCatalogue catalogue;
    private final LlmAsyncFunction.ClientFactory clientFactory;
    private final OutputTag<DeadLetter> deadLetters;
    private final transient MailboxExecutor mailbox;

    // ---- runtime, rebuilt from keyed state on restore; touched on the mailbox thread only ----
    private transient LlmClient client;
    private transient ValueState<AgentKeyState> keyState;
    private transient ValueState<AgentMemory> memoryState;
    private transient ActionValidator validator;
    private transient PromptBuilder prompts;
    private transient RetryPolicy retryPolicy;
    private transient CircuitBreaker breaker;
    private transient RateLimiter limiter;

    /** Keys with a pending request on this subtask; bounded by the capacity. */
    private transient Set<Object> active;

    /** Keys whose call is in flight, with the id of that call. */
    private transient Map<Object, Long> inFlight;

    /** Conversations of the requests that are pending; rebuilt from the triggers on restore. */
    private transient Map<Object, List<ChatMessage>> conversations;

    /** Keys whose next send continues a conversation (tool round, repair) rather than retries. */
    private transient Set<Object> continuations;

    /** Keys waiting for the breaker to let calls through. */
    private transient Set<Object> parked;

    /** The wake-up each waiting key expects, so that a stale one is ignored. */
    private transient Map<Object, Long> wakeAt;

    /** Event times of every pending or backlogged trigger, with their counts. */
    private transient TreeMap<Long, Integer> held;

    private transient long inputWatermark;
    private transient long emittedWatermark;
    private transient long callSequence;
    private transient boolean breakerWakeScheduled;
    private transient int backlogSize;
    private transient int capacity;
    private transient Metrics metrics;

    public LlmAgentOperator(
            StreamOperatorParameters<Action> parameters,
            String job,
            LlmOptions llm,
            AgentOptions agent,
            ActionCatalogue catalogue,
            LlmAsyncFunction.ClientFactory clientFactory,
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

    /** The descriptor of the pending work per key, shared with savepoint tooling. */
    public static ValueStateDescriptor<AgentKeyState> keyStateDescriptor() {
        return new ValueStateDescriptor<>(KEY_STATE_NAME, TypeInformation.of(AgentKeyState.class));
    }

    /** The descriptor of the memory per key, with its TTL, shared with savepoint tooling. */
    public static ValueStateDescriptor<AgentMemory> memoryStateDescriptor(AgentOptions agent) {
        ValueStateDescriptor<AgentMemory> d =
                new ValueStateDescriptor<>(
                        MEMORY_STATE_NAME, TypeInformation.of(AgentMemory.class));
        d.enableTimeToLive(
                StateTtlConfig.newBuilder(agent.memoryTtl())
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build());
        return d;
    }

    /** The response schema, built once: the catalogue does not change while the job runs. */
    private transient com.fasterxml.jackson.databind.node.ObjectNode responseSchema;

    @Override
    public void open() throws Exception {
        responseSchema = catalogue.responseSchema(true, agent.memoryMaxChars());
        super.open();
        int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        capacity = llm.maxConcurrent();
        client = clientFactory.create(llm);
        keyState = getRuntimeContext().getState(keyStateDescriptor());
        memoryState = getRuntimeContext().getState(memoryStateDescriptor(agent));
        validator = new ActionValidator(catalogue, true, agent.memoryMaxChars());
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
        active = new LinkedHashSet<>();
        inFlight = new HashMap<>();
        conversations = new HashMap<>();
        continuations = new LinkedHashSet<>();
        parked = new LinkedHashSet<>();
        wakeAt = new HashMap<>();
        held = new TreeMap<>();
        inputWatermark = Long.MIN_VALUE;
        emittedWatermark = Long.MIN_VALUE;
        metrics = new Metrics(getMetricGroup());
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
                        keyStateDescriptor(),
                        (key, state) -> keys.add(key));
        for (Object key : keys) {
            setCurrentKey(key);
            AgentKeyState s = keyState.value();
            if (s == null || s.pending == null) {
                continue;
            }
            s.pending.triggers.forEach(t -> hold(t.eventTime()));
            s.backlog.forEach(t -> hold(t.eventTime()));
            backlogSize += s.backlog.size();
            active.add(key);
            metrics.reissued.inc();
            issue(key);
        }
    }

    // ------------------------------------------------------------------ input

    @Override
    public void processElement(StreamRecord<Trigger> record) throws Exception {
        Object key = getCurrentKey();
        while (active.size() >= capacity && !active.contains(key)) {
            metrics.capacityWaits.inc();
            mailbox.yield(); // answers and timers run meanwhile, and may change the current key
        }
        setCurrentKey(key);
        Trigger trigger = record.getValue();
        hold(trigger.eventTime());
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
                release(oldest.eventTime());
            }
            keyState.update(s);
            return;
        }
        s = new AgentKeyState();
        s.pending =
                new PendingRequest(ActionIds.requestId(job, List.of(trigger)), List.of(trigger));
        keyState.update(s);
        active.add(key);
        issue(key);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        inputWatermark = mark.getTimestamp();
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
        if (inFlight.containsKey(key)) {
            return;
        }
        wakeAt.remove(key);
        AgentKeyState s = keyState.value();
        PendingRequest p = s.pending;
        List<ChatMessage> conversation = conversations.get(key);
        if (conversation == null) {
            AgentMemory memory = memoryState.value();
            conversation =
                    new ArrayList<>(
                            prompts.messages(p.triggers, memory == null ? null : memory.render()));
            conversations.put(key, conversation);
            p.toolRounds = 0;
            p.repaired = false;
        }
        long now = now();
        // Count prompt tokens only when a tokens-per-minute limit needs them.
        long promptTokens = agent.tokensPerMinute() > 0 ? TokenCounter.count(conversation) : 0;
        long wait = limiter.acquire(now, promptTokens);
        if (wait > 0) {
            metrics.rateLimitWaits.inc();
            wake(key, now + wait);
            return;
        }
        if (!breaker.allow(now)) {
            park(key);
            return;
        }
        if (!continuations.remove(key)) {
            p.attempts++;
            if (p.attempts > 1) {
                metrics.retries.inc();
            }
        }
        if (p.firstAttemptAt < 0) {
            p.firstAttemptAt = now;
        }
        keyState.update(s);
        long call = ++callSequence;
        RateLimiter.Mark mark = limiter.mark();
        inFlight.put(key, call);
        metrics.requests.inc();
        LlmRequest request =
                new LlmRequest(
                        p.requestId,
                        List.copyOf(conversation),
                        SCHEMA_NAME,
                        responseSchema,
                        agent.maxToolRounds() > 0 && p.toolRounds < agent.maxToolRounds()
                                ? AgentTools.specs()
                                : List.of());
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
        Long expected = inFlight.get(key);
        if (expected == null || expected != call) {
            return; // superseded
        }
        inFlight.remove(key);
        setCurrentKey(key);
        AgentKeyState s = keyState.value();
        if (s == null || s.pending == null) {
            return;
        }
        PendingRequest p = s.pending;
        if (failure != null) {
            onFailure(key, s, failure, now);
            return;
        }
        if (breaker.state() != CircuitBreaker.CLOSED) {
            LOG.info("LLM circuit breaker closed: the probe succeeded");
        }
        breaker.onSuccess();
        releaseParked();
        metrics.answered(response, agent);

        List<ChatMessage> conversation = conversations.get(key);
        if (response.callsTools()) {
            if (p.toolRounds < agent.maxToolRounds()) {
                p.toolRounds++;
                metrics.toolRounds.inc();
                conversation.add(ChatMessage.assistant(response.content(), response.toolCalls()));
                for (ToolCall c : response.toolCalls()) {
                    conversation.add(
                            ChatMessage.tool(
                                    c.id(),
                                    AgentTools.evaluate(c, p.triggers, memoryState.value())));
                }
                continueConversation(key, s);
                return;
            }
            fail(key, s, "the model kept calling tools after " + p.toolRounds + " round(s)");
            return;
        }
        ActionValidator.Result result = validator.validate(response.content());
        if (!result.valid()) {
            metrics.invalidAnswers.inc();
            if (agent.repairInvalid() && !p.repaired) {
                p.repaired = true;
                metrics.repairs.inc();
                conversation.add(ChatMessage.assistant(response.content(), List.of()));
                conversation.add(
                        ChatMessage.user(
                                "Your answer was invalid: "
                                        + result.error()
                                        + ". Answer again with JSON that matches the schema exactly."));
                continueConversation(key, s);
                return;
            }
            fail(
                    key,
                    s,
                    "invalid answer"
                            + (p.repaired ? " after a repair attempt" : "")
                            + ": "
                            + result.error());
            return;
        }
        List<Action> actions =
                Actions.of(
                        p.requestId,
                        p.triggers,
                        result.actions(),
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
        remember(actions, result.memory(), p);
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
                        java.time.Instant.ofEpochMilli(breaker.reopensAt()));
            }
            // The endpoint is down, not this request: park it without spending its attempts.
            p.attempts = Math.max(0, p.attempts - 1);
            p.firstAttemptAt = -1;
            keyState.update(s);
            park(key);
            return;
        }
        Duration delay = retryPolicy.nextDelay(p.attempts, e, now - p.firstAttemptAt);
        if (delay == null) {
            fail(key, s, "after " + p.attempts + " attempt(s): " + e.getMessage());
            return;
        }
        keyState.update(s);
        wake(key, now + delay.toMillis());
    }

    private void continueConversation(Object key, AgentKeyState s) throws Exception {
        keyState.update(s);
        continuations.add(key);
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
        s.pending.triggers.forEach(t -> release(t.eventTime()));
        conversations.remove(key);
        continuations.remove(key);
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
            wakeAt.remove(key);
            parked.remove(key);
        }
        advanceWatermark();
    }

    private void remember(List<Action> actions, String note, PendingRequest p) throws Exception {
        AgentMemory m = memoryState.value();
        if (m == null) {
            m = new AgentMemory();
        }
        String when = "at event time " + p.triggers.get(p.triggers.size() - 1).eventTime();
        if (actions.isEmpty()) {
            m.decisions.add(when + ": no action");
        }
        for (Action a : actions) {
            m.decisions.add(when + ": " + a.type() + " " + a.params() + " because " + a.reason());
        }
        while (m.decisions.size() > agent.memoryDecisions()) {
            m.decisions.remove(0);
        }
        if (note != null) {
            m.note =
                    note.length() > agent.memoryMaxChars()
                            ? note.substring(0, agent.memoryMaxChars())
                            : note;
        }
        memoryState.update(m);
    }

    // ------------------------------------------------------------------ waiting

    /** Calls {@link #issue} for {@code key} at {@code time}, unless another wake-up replaces it. */
    private void wake(Object key, long time) {
        wakeAt.put(key, time);
        getProcessingTimeService()
                .registerTimer(
                        time,
                        t -> {
                            if (!Long.valueOf(time).equals(wakeAt.get(key))) {
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
    private void park(Object key) {
        wakeAt.remove(key);
        parked.add(key);
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
        if (parked.isEmpty()) {
            return;
        }
        Object current = getCurrentKey();
        List<Object> keys = new ArrayList<>(parked);
        parked.clear();
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

    private void deadLetter(Trigger t, String reason) throws Exception {
        metrics.deadLetters.inc();
        output.collect(
                deadLetters,
                new StreamRecord<>(
                        DeadLetter.ofText(
                                DeadLetter.STAGE_LLM,
                                reason,
                                "rule:" + t.rule(),
                                t.key(),
                                Json.MAPPER.writeValueAsString(t)),
                        t.eventTime()));
    }

    private void hold(long timestamp) {
        held.merge(timestamp, 1, Integer::sum);
    }

    private void release(long timestamp) {
        held.computeIfPresent(timestamp, (k, n) -> n == 1 ? null : n - 1);
    }

    /** Emits the input watermark, held back below the oldest pending trigger. */
    private void advanceWatermark() {
        long w = held.isEmpty() ? inputWatermark : Math.min(inputWatermark, held.firstKey() - 1);
        if (w > emittedWatermark) {
            emittedWatermark = w;
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

    /** The operator's metrics, under {@code reflex} and {@code reflex.llm}. */
    private final class Metrics {
        final MetricGroup llmGroup;
        final Counter requests;
        final Counter successes;
        final Counter noAction;
        final Counter failures;
        final Counter retries;
        final Counter coalesced;
        final Counter rateLimitWaits;
        final Counter capacityWaits;
        final Counter reissued;
        final Counter invalidAnswers;
        final Counter repairs;
        final Counter toolRounds;
        final Counter promptTokens;
        final Counter completionTokens;
        final Counter costMicroUsd;
        final Counter actions;
        final Counter deadLetters;
        final DescriptiveStatisticsHistogram latency = new DescriptiveStatisticsHistogram(1000);
        final Map<String, Counter> failuresByCause = new HashMap<>();

        Metrics(MetricGroup operatorGroup) {
            MetricGroup reflex = operatorGroup.addGroup("reflex");
            llmGroup = reflex.addGroup("llm");
            requests = llmGroup.counter("requests");
            successes = llmGroup.counter("successes");
            failures = llmGroup.counter("failures");
            retries = llmGroup.counter("retries");
            coalesced = llmGroup.counter("coalescedTriggers");
            rateLimitWaits = llmGroup.counter("rateLimitWaits");
            capacityWaits = llmGroup.counter("capacityWaits");
            reissued = llmGroup.counter("reissuedOnRestore");
            invalidAnswers = llmGroup.counter("invalidAnswers");
            repairs = llmGroup.counter("repairs");
            toolRounds = llmGroup.counter("toolRounds");
            promptTokens = llmGroup.counter("promptTokens");
            completionTokens = llmGroup.counter("completionTokens");
            costMicroUsd = llmGroup.counter("costMicroUsd");
            llmGroup.histogram("latencyMs", latency);
            llmGroup.gauge("inFlight", () -> inFlight.size());
            llmGroup.gauge("pendingKeys", () -> active.size());
            llmGroup.gauge("backlog", () -> backlogSize);
            llmGroup.gauge("circuitState", () -> breaker.state());
            llmGroup.gauge("quotaFromHeaders", () -> limiter.sharing(now()) ? 1 : 0);
            noAction = reflex.counter("noActionDecisions");
            actions = reflex.counter("actions");
            deadLetters = reflex.counter("deadLetters");
        }

        void answered(LlmResponse r, AgentOptions options) {
            latency.update(r.latencyMs());
            promptTokens.inc(r.promptTokens());
            completionTokens.inc(r.completionTokens());
            costMicroUsd.inc(
                    Math.round(
                            r.promptTokens() * options.priceInputPerMillion()
                                    + r.completionTokens() * options.priceOutputPerMillion()));
        }

        void failure(String cause) {
            failuresByCause
                    .computeIfAbsent(cause, c -> llmGroup.addGroup("failuresByCause").counter(c))
                    .inc();
        }
    }
}
