package io.reflex.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.agent.LlmAgentOperatorFactory;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Trigger;
import io.reflex.sandbox.StubLlmServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.OutputTag;

/**
 * How much of a provider's quota the keyed agent uses when its keys are skewed across subtasks. The
 * stub enforces a quota the way OpenAI's tiers do (per minute, quantized to a second, counted when
 * a request arrives, 429 with {@code Retry-After} beyond it, {@code x-ratelimit-*} headers on every
 * answer). Triggers on distinct keys arrive at a fixed rate, most of them on keys of one subtask:
 * the hot one wants more than the whole quota, the cold one less than its half. The same job runs
 * with the limits shared by the provider's figures (the default) and split evenly (the way Reflex
 * did it before), in the same run.
 */
public final class QuotaBench {
    private static final String JOB = "bench";
    private static final int MAX_PARALLELISM = 128;

    private QuotaBench() {}

    public static void main(String[] args) throws Exception {
        Bench.main(new String[] {"quota"});
    }

    static BenchReport run(BenchContext ctx) throws Exception {
        long requestsPerMinute = 500;
        long tokensPerMinute = 200_000;
        long windowMs = 1_000;
        long latencyMs = 200;
        double triggersPerSecond = 15;
        double hotShare = 0.9;
        long measureSeconds = ctx.size(Long.getLong("bench.quota.seconds", 60), 8);
        BenchReport report =
                new BenchReport(
                        "quota",
                        "Share of a provider's quota used, with keys skewed across 2 subtasks",
                        "The stub LLM enforces "
                                + requestsPerMinute
                                + " requests and "
                                + tokensPerMinute
                                + " tokens a minute, quantized to "
                                + windowMs
                                + " ms windows and counted when a request arrives (its prompt"
                                + " and its max_completion_tokens), with 429 and Retry-After"
                                + " beyond it and x-ratelimit-* headers on every answer. Triggers"
                                + " on distinct keys arrive at "
                                + (long) triggersPerSecond
                                + " a second, "
                                + Math.round(hotShare * 100)
                                + "% of them on keys of subtask 0, so that subtask wants more"
                                + " than the whole quota and the other less than its half. Quota"
                                + " use is what the stub admitted over the most it could admit"
                                + " in the time (a full window plus the refill), in the limit"
                                + " that binds.");
        report.param("requests_per_minute", requestsPerMinute)
                .param("tokens_per_minute", tokensPerMinute)
                .param("quota_window_ms", windowMs)
                .param("llm_latency_ms", latencyMs)
                .param("triggers_per_second", triggersPerSecond)
                .param("hot_subtask_share", hotShare)
                .param("parallelism", BenchContext.PARALLELISM)
                .param("measured_seconds", measureSeconds)
                .param("max_concurrent_per_subtask", 64);
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put("quota used", new ArrayList<>());
        series.put("answered 429", new ArrayList<>());
        Map<String, Measured> figures = new LinkedHashMap<>();
        try (StubLlmServer stub =
                StubLlmServer.start(
                        0, StubLlmServer.Settings.healthy().withLatency(latencyMs, 0), 7)) {
            for (boolean shared : List.of(true, false)) {
                String variant = shared ? "shared-by-provider" : "split-evenly";
                StubLlmServer.Quota quota =
                        new StubLlmServer.Quota(requestsPerMinute, tokensPerMinute, windowMs);
                Measured m =
                        run(
                                ctx,
                                variant,
                                stub,
                                quota,
                                shared,
                                triggersPerSecond,
                                hotShare,
                                measureSeconds);
                figures.put(variant, m);
                ObjectNode r = report.results().addObject();
                r.put("variant", variant);
                r.put("seconds", BenchReport.round(m.seconds(), 1));
                r.put("requests", m.requests());
                r.put("admitted_requests", m.admitted());
                r.put("admitted_tokens", m.tokens());
                r.put("answered_429", m.rejected());
                r.put("request_quota_used", BenchReport.round(m.requestUse(), 3));
                r.put("token_quota_used", BenchReport.round(m.tokenUse(), 3));
                r.put("quota_used", BenchReport.round(m.use(), 3));
                r.put("share_429", BenchReport.round(m.rejectedShare(), 4));
                series.get("quota used").add(BenchReport.round(m.use() * 100, 1));
                series.get("answered 429").add(BenchReport.round(m.rejectedShare() * 100, 2));
                System.out.printf(
                        "  %-20s %5.1f s  requests %5d  admitted %5d (%.1f%% of requests quota,"
                                + " %.1f%% of tokens quota)  429s %d%n",
                        variant,
                        m.seconds(),
                        m.requests(),
                        m.admitted(),
                        m.requestUse() * 100,
                        m.tokenUse() * 100,
                        m.rejected());
            }
        }
        Measured shared = figures.get("shared-by-provider");
        Measured even = figures.get("split-evenly");
        report.ratio("shared-by-provider quota used", shared.use(), "admitted over admissible");
        report.ratio("split-evenly quota used", even.use(), "admitted over admissible");
        report.ratio(
                "shared-by-provider / split-evenly",
                shared.use() / even.use(),
                "quota used, same run");
        report.ratio(
                "shared-by-provider answered 429", shared.rejectedShare(), "429s over requests");
        report.target("shared-by-provider quota used >= 0.95", 0.95, shared.use(), true);
        report.target(
                "shared-by-provider answered 429 < 0.01", 0.01, shared.rejectedShare(), false);
        report.note(
                "Split evenly, subtask 0 keeps to half the quota while subtask 1 leaves most of its"
                        + " half unused. Shared by the provider's figures, each subtask spends its"
                        + " half of what the last answer said remained, plus its half of the"
                        + " refill since, less what it sent since: the cold subtask's leftover"
                        + " comes back to the hot one in the next figures.");
        report.note(
                "The binding limit is the one with the higher use; requests are counted when the"
                        + " stub admits them, so a 429 costs nothing of the quota but a round"
                        + " trip.");
        report.chart(
                "Quota used and 429s, keys skewed "
                        + Math.round(hotShare * 100)
                        + "/"
                        + Math.round((1 - hotShare) * 100),
                "percent",
                List.of("shared-by-provider", "split-evenly"),
                series,
                false);
        return report;
    }

    /**
     * One variant's figures at the stub: the requests it counted against the quota, those it
     * admitted and their tokens, and the share of each limit used.
     */
    private record Measured(
            double seconds,
            long requests,
            long admitted,
            long tokens,
            double requestUse,
            double tokenUse) {
        long rejected() {
            return requests - admitted;
        }

        double rejectedShare() {
            return (double) rejected() / Math.max(1, requests);
        }

        /** The use of the limit that binds. */
        double use() {
            return Math.max(requestUse, tokenUse);
        }
    }

    /** Runs the job until {@code seconds} after the stub's first request, then cancels it. */
    private static Measured run(
            BenchContext ctx,
            String variant,
            StubLlmServer stub,
            StubLlmServer.Quota quota,
            boolean shared,
            double triggersPerSecond,
            double hotShare,
            long seconds)
            throws Exception {
        stub.setQuota(quota);
        stub.resetStats();
        StreamExecutionEnvironment env = ctx.env(new Configuration());
        env.setMaxParallelism(MAX_PARALLELISM);
        long count = (long) (triggersPerSecond * (seconds + 120));
        DataGeneratorSource<Trigger> source =
                new DataGeneratorSource<>(
                        new SkewedTriggers(hotShare),
                        count,
                        RateLimiterStrategy.perSecond(triggersPerSecond),
                        TypeInformation.of(Trigger.class));
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "Triggers")
                .uid("bench-quota-triggers")
                .setParallelism(1)
                .keyBy(Trigger::key)
                .transform(
                        "agent",
                        TypeInformation.of(Action.class),
                        new LlmAgentOperatorFactory(
                                JOB,
                                llm(stub.baseUrl()),
                                agent(quota, shared),
                                LlmConcurrencyBench.catalogue(),
                                new OutputTag<>("dlq", TypeInformation.of(DeadLetter.class))))
                .uid("bench-quota-agent")
                .name("Reflex agent")
                .sinkTo(new DiscardingSink<>())
                .uid("bench-quota-sink")
                .name("Discard");
        JobClient job = env.executeAsync(variant);
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (stub.requests() == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no request reached the stub in 120 s");
                }
                Thread.sleep(20);
            }
            // The quota starts whole at the first request, so what came before cannot count.
            stub.setQuota(quota);
            stub.resetStats();
            long started = System.nanoTime();
            long end = started + Duration.ofSeconds(seconds).toNanos();
            long nextStatus = started + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(100);
                if (System.nanoTime() >= nextStatus) {
                    System.out.printf(
                            "    %s: %d requests, %d admitted, %d answered 429%n",
                            variant,
                            stub.quotaRequests(),
                            stub.quotaAdmittedRequests(),
                            stub.quotaRequests() - stub.quotaAdmittedRequests());
                    nextStatus += Duration.ofSeconds(10).toNanos();
                }
            }
            double elapsed = (System.nanoTime() - started) / 1e9;
            // The most the stub could admit: a full window, then the refill.
            double minutes = quota.windowMs() / 60_000.0 + elapsed / 60;
            long admitted = stub.quotaAdmittedRequests();
            long tokens = stub.quotaAdmittedTokens();
            return new Measured(
                    elapsed,
                    stub.quotaRequests(),
                    admitted,
                    tokens,
                    admitted / (quota.requestsPerMinute() * minutes),
                    tokens / (quota.tokensPerMinute() * minutes));
        } finally {
            job.cancel().get();
            stub.setQuota(null);
        }
    }

    private static LlmOptions llm(String baseUrl) {
        return new LlmOptions(
                baseUrl,
                "",
                "stub-model",
                Duration.ofSeconds(30),
                8,
                Duration.ofMillis(200),
                Duration.ofSeconds(5),
                64,
                LlmOptions.DEFAULT_SYSTEM_PROMPT,
                LlmOptions.DEFAULT_PROMPT_TEMPLATE,
                0,
                100,
                2000,
                io.reflex.operators.llm.StructuredOutput.STRICT);
    }

    private static AgentOptions agent(StubLlmServer.Quota quota, boolean shared) {
        // The breaker stays closed: 429s are the limiter's business here.
        return LlmConcurrencyBench.agent(
                16, quota.requestsPerMinute(), quota.tokensPerMinute(), shared, 1_000_000);
    }

    /**
     * Trigger {@code i} on a key of its own, on subtask 0 with probability {@code hotShare}
     * (decided by {@code i}, so every run is the same), else on subtask 1.
     */
    static final class SkewedTriggers implements GeneratorFunction<Long, Trigger> {
        private final double hotShare;

        SkewedTriggers(double hotShare) {
            this.hotShare = hotShare;
        }

        @Override
        public Trigger map(Long i) {
            long h = i * 0x9E3779B97F4A7C15L;
            boolean hot = ((h >>> 11) / (double) (1L << 53)) < hotShare;
            int subtask = hot ? 0 : 1;
            String key;
            for (int j = 0; ; j++) {
                key = (hot ? "H" : "C") + i + "-" + j;
                if (KeyGroupRangeAssignment.assignKeyToParallelOperator(
                                key, MAX_PARALLELISM, BenchContext.PARALLELISM)
                        == subtask) {
                    break;
                }
            }
            return new Trigger(
                    "rule", key, System.currentTimeMillis(), List.of("e" + i), "{\"i\":" + i + "}");
        }
    }
}
