package io.reflex.operators.agent;

import io.reflex.operators.llm.LlmResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** The agent operator's metrics, under {@code reflex} and {@code reflex.llm}. */
final class AgentMetrics {
    private final MetricGroup llm;
    private final AgentOptions agent;
    private final Map<String, Counter> failuresByCause = new HashMap<>();
    private final DescriptiveStatisticsHistogram latency = new DescriptiveStatisticsHistogram(1000);
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

    /**
     * @param backlog the triggers waiting in the keys' backlogs
     * @param clock the operator's processing time
     */
    AgentMetrics(
            MetricGroup operatorGroup,
            AgentOptions agent,
            ActiveKeys active,
            CircuitBreaker breaker,
            RateLimiter limiter,
            IntSupplier backlog,
            LongSupplier clock) {
        this.agent = agent;
        MetricGroup reflex = operatorGroup.addGroup("reflex");
        llm = reflex.addGroup("llm");
        requests = llm.counter("requests");
        successes = llm.counter("successes");
        failures = llm.counter("failures");
        retries = llm.counter("retries");
        coalesced = llm.counter("coalescedTriggers");
        rateLimitWaits = llm.counter("rateLimitWaits");
        capacityWaits = llm.counter("capacityWaits");
        reissued = llm.counter("reissuedOnRestore");
        invalidAnswers = llm.counter("invalidAnswers");
        repairs = llm.counter("repairs");
        toolRounds = llm.counter("toolRounds");
        promptTokens = llm.counter("promptTokens");
        completionTokens = llm.counter("completionTokens");
        costMicroUsd = llm.counter("costMicroUsd");
        llm.histogram("latencyMs", latency);
        llm.gauge("inFlight", active::inFlight);
        llm.gauge("pendingKeys", active::size);
        llm.gauge("backlog", backlog::getAsInt);
        llm.gauge("circuitState", breaker::state);
        llm.gauge("quotaFromHeaders", () -> limiter.sharing(clock.getAsLong()) ? 1 : 0);
        noAction = reflex.counter("noActionDecisions");
        actions = reflex.counter("actions");
        deadLetters = reflex.counter("deadLetters");
    }

    /** An answer arrived: its latency, tokens and cost. */
    void answered(LlmResponse r) {
        latency.update(r.latencyMs());
        promptTokens.inc(r.promptTokens());
        completionTokens.inc(r.completionTokens());
        costMicroUsd.inc(agent.costMicroUsd(r.promptTokens(), r.completionTokens()));
    }

    /** An attempt failed, by cause (the counter is created on first use). */
    void failure(String cause) {
        failuresByCause
                .computeIfAbsent(cause, c -> llm.addGroup("failuresByCause").counter(c))
                .inc();
    }
}
