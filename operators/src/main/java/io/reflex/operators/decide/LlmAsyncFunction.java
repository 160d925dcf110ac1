package io.reflex.operators.decide;

import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.action.ActionIds;
import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.action.Actions;
import io.reflex.operators.llm.LlmClient;
import io.reflex.operators.llm.LlmClientFactory;
import io.reflex.operators.llm.LlmClients;
import io.reflex.operators.llm.LlmException;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.LlmRequest;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.RetryPolicy;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.Trigger;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * The stateless LLM step: one chat completion per trigger, for {@code
 * AsyncDataStream.unorderedWait}. It never fails the job: every trigger ends as exactly one {@link
 * LlmOutcome}, with actions, a no-action decision, or a failure for the dead-letter topic.
 *
 * <p>Retries follow {@link RetryPolicy} (exponential backoff with full jitter, {@code Retry-After},
 * a deadline) and are scheduled off the task thread, so the mailbox never waits. They run inside
 * the function rather than through Flink's {@code AsyncRetryStrategy} for two reasons: that
 * strategy cannot honour {@code Retry-After}, and at the end of a bounded input {@code
 * AsyncWaitOperator} fires every pending retry at once and then stops retrying.
 */
public class LlmAsyncFunction extends RichAsyncFunction<Trigger, LlmOutcome> {
    private static final long serialVersionUID = 1L;

    static final String SCHEMA_NAME = "reflex_actions";

    private final String job;
    private final LlmOptions options;
    private final ActionCatalogue catalogue;
    private final LlmClientFactory clientFactory;

    private transient LlmClient client;
    private transient AnswerInterpreter interpreter;
    private transient PromptBuilder prompts;
    private transient RetryPolicy retryPolicy;
    private transient ScheduledExecutorService retryTimer;
    private transient Map<ResultFuture<LlmOutcome>, Call> calls;
    private transient MetricGroup metrics;
    private transient Counter requests;
    private transient Counter retries;
    private transient Counter failures;
    private transient Map<String, Counter> failuresByCause;

    public LlmAsyncFunction(String job, LlmOptions options, ActionCatalogue catalogue) {
        this(job, options, catalogue, LlmClients::acquire);
    }

    /** With a client factory of your own. */
    public LlmAsyncFunction(
            String job,
            LlmOptions options,
            ActionCatalogue catalogue,
            LlmClientFactory clientFactory) {
        this.job = job;
        this.options = options;
        this.catalogue = catalogue;
        this.clientFactory = clientFactory;
    }

    /**
     * Applies the step to {@code triggers}: at most {@code maxConcurrent} requests in flight per
     * subtask, each bounded by the request deadline.
     */
    public static SingleOutputStreamOperator<LlmOutcome> apply(
            DataStream<Trigger> triggers,
            String job,
            LlmOptions options,
            ActionCatalogue catalogue) {
        return AsyncDataStream.unorderedWait(
                triggers,
                new LlmAsyncFunction(job, options, catalogue),
                options.requestDeadline().toMillis(),
                TimeUnit.MILLISECONDS,
                options.maxConcurrent());
    }

    /** One trigger's request across its attempts. */
    private static final class Call {
        final Trigger trigger;
        final String requestId;
        final LlmRequest request;
        final ResultFuture<LlmOutcome> result;
        final long startedNanos = System.nanoTime();
        final AtomicBoolean done = new AtomicBoolean();
        volatile int attempts;

        Call(
                Trigger trigger,
                String requestId,
                LlmRequest request,
                ResultFuture<LlmOutcome> result) {
            this.trigger = trigger;
            this.requestId = requestId;
            this.request = request;
            this.result = result;
        }
    }

    /** The response schema, built once: the catalogue does not change while the job runs. */
    private transient com.fasterxml.jackson.databind.node.ObjectNode responseSchema;

    @Override
    public void open(OpenContext openContext) {
        responseSchema = catalogue.responseSchema(false, 0);
        client = clientFactory.create(options);
        // No tools are offered and no repair turn taken: one call per attempt.
        interpreter = new AnswerInterpreter(new ActionValidator(catalogue), 0, false);
        prompts = new PromptBuilder(options, catalogue);
        retryPolicy = RetryPolicy.of(options);
        ScheduledThreadPoolExecutor timer =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "reflex-llm-retry");
                            t.setDaemon(true);
                            return t;
                        });
        timer.setRemoveOnCancelPolicy(true);
        retryTimer = timer;
        calls = new ConcurrentHashMap<>();
        metrics = getRuntimeContext().getMetricGroup().addGroup("reflex").addGroup("llm");
        requests = metrics.counter("requests", new ThreadSafeSimpleCounter());
        retries = metrics.counter("retries", new ThreadSafeSimpleCounter());
        failures = metrics.counter("failures", new ThreadSafeSimpleCounter());
        failuresByCause = new ConcurrentHashMap<>();
        metrics.gauge("inFlight", () -> calls.size());
    }

    @Override
    public void asyncInvoke(Trigger trigger, ResultFuture<LlmOutcome> resultFuture) {
        String requestId = ActionIds.requestId(job, trigger);
        LlmRequest request =
                new LlmRequest(
                        requestId,
                        prompts.messages(trigger),
                        SCHEMA_NAME,
                        responseSchema,
                        List.of());
        Call call = new Call(trigger, requestId, request, resultFuture);
        calls.put(resultFuture, call);
        attempt(call);
    }

    private void attempt(Call call) {
        if (call.done.get()) {
            return;
        }
        int attempt = ++call.attempts;
        requests.inc();
        if (attempt > 1) {
            retries.inc();
        }
        client.complete(call.request)
                .whenComplete(
                        (response, error) -> {
                            if (error == null) {
                                finish(call, decide(call, response, attempt));
                                return;
                            }
                            LlmException e = LlmException.from(error);
                            failure(e.cause());
                            long elapsed =
                                    TimeUnit.NANOSECONDS.toMillis(
                                            System.nanoTime() - call.startedNanos);
                            Duration delay = retryPolicy.nextDelay(attempt, e, elapsed);
                            if (delay != null && !retryTimer.isShutdown()) {
                                retryTimer.schedule(
                                        () -> attempt(call),
                                        delay.toMillis(),
                                        TimeUnit.MILLISECONDS);
                            } else {
                                finish(
                                        call,
                                        LlmOutcome.failed(call.trigger, e.getMessage(), attempt));
                            }
                        });
    }

    private LlmOutcome decide(Call call, LlmResponse response, int attempt) {
        AnswerInterpreter.Interpretation meaning = interpreter.interpret(response, 0, false);
        if (!(meaning instanceof AnswerInterpreter.Decided decided)) {
            AnswerInterpreter.Failed failed = (AnswerInterpreter.Failed) meaning;
            failure(failed.invalidAnswer() ? "invalid_answer" : "tool_calls");
            return LlmOutcome.failed(call.trigger, failed.reason(), attempt);
        }
        if (decided.actions().isEmpty()) {
            return new LlmOutcome(call.trigger, LlmOutcome.NO_ACTION, List.of(), null, attempt);
        }
        List<Action> actions =
                Actions.of(
                        call.requestId,
                        List.of(call.trigger),
                        decided.actions(),
                        response,
                        attempt,
                        System.currentTimeMillis());
        return new LlmOutcome(call.trigger, LlmOutcome.ACTIONS, actions, null, attempt);
    }

    private void finish(Call call, LlmOutcome outcome) {
        if (call.done.compareAndSet(false, true)) {
            calls.remove(call.result);
            if (LlmOutcome.FAILED.equals(outcome.status())) {
                failures.inc();
            }
            call.result.complete(Collections.singletonList(outcome));
        }
    }

    private void failure(String cause) {
        failuresByCause
                .computeIfAbsent(
                        cause,
                        c ->
                                metrics.addGroup("failuresByCause")
                                        .counter(c, new ThreadSafeSimpleCounter()))
                .inc();
    }

    @Override
    public void timeout(Trigger trigger, ResultFuture<LlmOutcome> resultFuture) {
        Call call = calls.get(resultFuture);
        String error = "no decision within the request deadline of " + options.requestDeadline();
        if (call == null) {
            resultFuture.complete(Collections.singletonList(LlmOutcome.failed(trigger, error, 0)));
            return;
        }
        failure("deadline");
        finish(call, LlmOutcome.failed(trigger, error, call.attempts));
    }

    @Override
    public void close() {
        if (retryTimer != null) {
            retryTimer.shutdownNow();
        }
        if (client != null) {
            client.close();
        }
    }
}
