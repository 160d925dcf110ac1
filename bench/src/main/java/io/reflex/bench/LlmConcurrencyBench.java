package io.reflex.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.jobs.kafka.KafkaAnswerJournal;
import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.agent.LlmAgentOperatorFactory;
import io.reflex.operators.decide.LlmAsyncFunction;
import io.reflex.operators.decide.LlmOutcome;
import io.reflex.operators.decide.PromptBuilder;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.llm.LlmClient;
import io.reflex.operators.llm.LlmClients;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.LlmRequest;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Trigger;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.StubLlmServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.OutputTag;

/**
 * LLM calls per second against the Little's-law bound C/L, for Reflex's keyed agent and, in the
 * same run and at the same capacity, Flink's {@code AsyncWaitOperator} with Reflex's plain async
 * function, and a synchronous map that calls the LLM; and the agent again with its response journal
 * on the in-process Kafka broker, for the journal's cost. Every variant sits behind the same {@code
 * keyBy}, as in the job. Triggers are on distinct keys, so the agent has nothing to coalesce.
 * Throughput is measured at the stub: calls answered over the time from the first arrival to the
 * last answer.
 */
public final class LlmConcurrencyBench {
    private static final String JOB = "bench";

    /** The agent's defaults without tools, so that its requests match the baseline's. */
    private static final AgentOptions NO_TOOLS = agent(16, 0, 0, true, 5);

    private LlmConcurrencyBench() {}

    public static void main(String[] args) throws Exception {
        Bench.main(new String[] {"llm-concurrency"});
    }

    static BenchReport run(BenchContext ctx) throws Exception {
        long latencyMs = 200;
        List<Integer> capacities = List.of(64, 256);
        int rounds = (int) ctx.size(Long.getLong("bench.llm.rounds", 60), 1);
        int syncCalls = (int) ctx.size(25, 3);
        BenchReport report =
                new BenchReport(
                        "llm-concurrency",
                        "LLM calls per second against the Little's-law bound C/L",
                        "Triggers on distinct keys go to the stub LLM at a fixed latency L with a"
                                + " capacity C per subtask, through Reflex's keyed agent and, at"
                                + " the same capacity and behind the same keyBy, Flink's"
                                + " AsyncWaitOperator with Reflex's plain async function, and a"
                                + " synchronous map that calls the LLM. Throughput is measured at"
                                + " the stub: calls answered over the time from the first arrival"
                                + " to the last answer.");
        report.param("latency_ms", latencyMs)
                .param("capacities", capacities)
                .param("triggers_per_run", "C x " + rounds)
                .param("sync_map_calls", syncCalls)
                .param("parallelism", 1)
                .param("keys", "one per trigger (nothing to coalesce)");
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (String s :
                List.of(
                        "bound C/L",
                        "reflex-agent",
                        "reflex-agent+journal",
                        "async-wait-operator",
                        "sync-map")) {
            series.put(s, new ArrayList<>());
        }
        ArrayNode results = report.results();
        try (StubLlmServer stub =
                StubLlmServer.start(
                        0, StubLlmServer.Settings.healthy().withLatency(latencyMs, 0), 1)) {
            if (!ctx.smoke()) {
                // Both operators once, unmeasured: whichever ran first would otherwise pay for
                // the JIT compiling the SDK's and Flink's code on these two cores.
                for (String variant : List.of("reflex-agent", "async-wait-operator")) {
                    run(variant, stub, 64, 64 * 5);
                }
                System.out.println("  warmed the JVM with both operators (not measured)");
            }
            for (int capacity : capacities) {
                int triggers = capacity * rounds;
                double bound = capacity * 1000.0 / latencyMs;
                series.get("bound C/L").add(bound);
                Map<String, Double> rates = new LinkedHashMap<>();
                Map<String, Double> cpuPerCall = new LinkedHashMap<>();
                for (String variant :
                        List.of(
                                "reflex-agent",
                                "reflex-agent+journal",
                                "async-wait-operator",
                                "sync-map")) {
                    int calls = variant.equals("sync-map") ? syncCalls : triggers;
                    stub.resetStats();
                    long cpu = processCpuNanos();
                    run(variant, stub, capacity, calls);
                    double cpuMs = (processCpuNanos() - cpu) / 1e6 / calls;
                    double rate = stub.count(StubLlmServer.Outcome.OK) / stub.activeSeconds();
                    add(results, variant, capacity, calls, rate, bound, stub, cpuMs);
                    cpuPerCall.put(variant, cpuMs);
                    series.get(variant).add(BenchReport.round(rate, 1));
                    rates.put(variant, rate);
                }
                report.ratio(
                        "reflex-agent+journal / reflex-agent, C=" + capacity,
                        rates.get("reflex-agent+journal") / rates.get("reflex-agent"),
                        "calls/s with every answer journaled to Kafka, against without");
                report.ratio(
                        "reflex-agent+journal / reflex-agent CPU per call, C=" + capacity,
                        cpuPerCall.get("reflex-agent+journal") / cpuPerCall.get("reflex-agent"),
                        "process CPU ms per call, the broker's included (it runs in this JVM)");
                double agent = rates.get("reflex-agent") / bound;
                report.ratio("reflex-agent / bound, C=" + capacity, agent, "calls/s over C/L");
                report.ratio(
                        "async-wait-operator / bound, C=" + capacity,
                        rates.get("async-wait-operator") / bound,
                        "calls/s over C/L");
                report.ratio(
                        "sync-map / bound, C=" + capacity,
                        rates.get("sync-map") / bound,
                        "calls/s over C/L");
                report.ratio(
                        "reflex-agent / async-wait-operator, C=" + capacity,
                        rates.get("reflex-agent") / rates.get("async-wait-operator"),
                        "calls/s, same capacity");
                report.ratio(
                        "reflex-agent / sync-map, C=" + capacity,
                        rates.get("reflex-agent") / rates.get("sync-map"),
                        "calls/s, same capacity");
                report.ratio(
                        "reflex-agent / async-wait-operator CPU per call, C=" + capacity,
                        cpuPerCall.get("reflex-agent") / cpuPerCall.get("async-wait-operator"),
                        "process CPU ms per call (lower is cheaper)");
                report.target(
                        "reflex-agent / async-wait-operator >= 1, C=" + capacity,
                        1.0,
                        rates.get("reflex-agent") / rates.get("async-wait-operator"),
                        true);
            }
        }
        report.note(
                "CPU per call is the whole JVM's CPU time over the run (the job's start, Flink,"
                        + " the HTTP client and the stub, which both operators share) over the"
                        + " calls: a comparison between the operators, not an absolute cost.");
        report.note(
                "Each run is C x "
                        + rounds
                        + " triggers, about 15 s at either capacity: with 20 rounds a run at"
                        + " C = 256 lasted about 5 s, of which the job's start and its first"
                        + " second were a large and noisy part (the agent measured 0.86 to 1.19 of"
                        + " AsyncWaitOperator between runs of the same code).");
        report.note(
                "Each operator first runs 320 calls unmeasured, so that neither pays for the JIT"
                        + " warm-up of the code both use.");
        report.note(
                "The stub, Flink and the HTTP client share the two cores: both asynchronous"
                        + " operators keep their capacity in flight (max_in_flight_seen_by_stub),"
                        + " so what limits them below C/L is CPU per call, not concurrency.");
        report.chart(
                "LLM calls per second at L = " + latencyMs + " ms",
                "calls per second",
                capacities.stream().map(c -> "C = " + c).toList(),
                series,
                false);
        return report;
    }

    private static void add(
            ArrayNode results,
            String variant,
            int capacity,
            int calls,
            double rate,
            double bound,
            StubLlmServer stub,
            double cpuMsPerCall) {
        ObjectNode r = results.addObject();
        r.put("variant", variant);
        r.put("capacity", capacity);
        r.put("calls", calls);
        r.put("calls_per_second", BenchReport.round(rate, 1));
        r.put("bound_c_over_l", bound);
        r.put("ratio_to_bound", BenchReport.round(rate / bound, 3));
        r.put("max_in_flight_seen_by_stub", stub.maxInFlight());
        r.put("process_cpu_ms_per_call", BenchReport.round(cpuMsPerCall, 3));
        System.out.printf(
                "  %-20s C=%-4d calls=%-6d %8.1f calls/s  bound %6.0f  ratio %.3f"
                        + "  max in flight %d  %.2f CPU ms/call%n",
                variant,
                capacity,
                calls,
                rate,
                bound,
                rate / bound,
                stub.maxInFlight(),
                cpuMsPerCall);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** The stub's endpoint with {@code capacity} requests in flight and one attempt. */
    static LlmOptions llm(String baseUrl, int capacity) {
        return new LlmOptions(
                baseUrl,
                "",
                "stub-model",
                Duration.ofSeconds(30),
                1,
                Duration.ofMillis(100),
                Duration.ofSeconds(1),
                capacity,
                LlmOptions.DEFAULT_SYSTEM_PROMPT,
                LlmOptions.DEFAULT_PROMPT_TEMPLATE,
                0,
                100,
                2000,
                io.reflex.operators.llm.StructuredOutput.STRICT);
    }

    /**
     * The benchmarks' agent: no tools, so that its requests match the baselines', with a backlog,
     * rate limits and breaker of the benchmark's choosing.
     */
    static AgentOptions agent(
            int backlog,
            long requestsPerMinute,
            long tokensPerMinute,
            boolean quotaFromHeaders,
            int breakerFailures) {
        return new AgentOptions(
                backlog,
                5,
                600,
                Duration.ofDays(1),
                true,
                0,
                requestsPerMinute,
                tokensPerMinute,
                quotaFromHeaders,
                breakerFailures,
                Duration.ofSeconds(30),
                0,
                0);
    }

    /** One action type without parameters. */
    static ActionCatalogue catalogue() {
        return new ActionCatalogue(
                Map.of(
                        "alert",
                        new ActionCatalogue.ActionType(
                                "alert",
                                "Page someone.",
                                "{\"type\":\"object\",\"properties\":{},\"required\":[],"
                                        + "\"additionalProperties\":false}")));
    }

    private static void run(String variant, StubLlmServer stub, int capacity, int n)
            throws Exception {
        LlmOptions llm = llm(stub.baseUrl(), capacity);
        ActionCatalogue catalogue = catalogue();
        List<Trigger> triggers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            triggers.add(new Trigger("rule", "K" + i, i, List.of("e" + i), "{\"i\":" + i + "}"));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        DataStream<Trigger> in = env.fromData(triggers).uid("bench-triggers").name("Triggers");
        switch (variant) {
            case "reflex-agent":
            case "reflex-agent+journal":
                LlmAgentOperatorFactory agent =
                        new LlmAgentOperatorFactory(
                                JOB,
                                llm,
                                NO_TOOLS,
                                catalogue,
                                new OutputTag<>("dlq", TypeInformation.of(DeadLetter.class)));
                if (variant.endsWith("+journal")) {
                    JournalOptions journal = JournalOptions.defaults();
                    agent.withJournal(
                            journal,
                            KafkaAnswerJournal.factory(
                                    EmbeddedKafka.shared().bootstrapServers(), Map.of(), journal));
                }
                in.keyBy(Trigger::key)
                        .transform("agent", TypeInformation.of(Action.class), agent)
                        .uid("bench-agent")
                        .name("Reflex agent")
                        .sinkTo(new DiscardingSink<>())
                        .uid("bench-agent-sink")
                        .name("Discard");
                break;
            case "async-wait-operator":
                AsyncDataStream.unorderedWait(
                                in.keyBy(Trigger::key),
                                new LlmAsyncFunction(JOB, llm, catalogue),
                                60,
                                TimeUnit.SECONDS,
                                capacity)
                        .uid("bench-async")
                        .name("AsyncWaitOperator")
                        .sinkTo(new DiscardingSink<LlmOutcome>())
                        .uid("bench-async-sink")
                        .name("Discard");
                break;
            default:
                in.keyBy(Trigger::key)
                        .map(new SyncCall(llm, catalogue))
                        .uid("bench-sync")
                        .name("Synchronous LLM map")
                        .sinkTo(new DiscardingSink<>())
                        .uid("bench-sync-sink")
                        .name("Discard");
        }
        env.execute(variant);
    }

    /** The naive baseline: one blocking call per trigger on the task thread. */
    static final class SyncCall extends RichMapFunction<Trigger, String> {
        private final LlmOptions llm;
        private final ActionCatalogue catalogue;
        private transient LlmClient client;
        private transient PromptBuilder prompts;

        SyncCall(LlmOptions llm, ActionCatalogue catalogue) {
            this.llm = llm;
            this.catalogue = catalogue;
        }

        @Override
        public void open(OpenContext openContext) {
            client = LlmClients.acquire(llm);
            prompts = new PromptBuilder(llm, catalogue);
        }

        @Override
        public String map(Trigger t) {
            return client.complete(
                            new LlmRequest(
                                    "r",
                                    prompts.messages(t),
                                    "reflex_actions",
                                    catalogue.responseSchema(false, 0),
                                    List.of()))
                    .join()
                    .content();
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
