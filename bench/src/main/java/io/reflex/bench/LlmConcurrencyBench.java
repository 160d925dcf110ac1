package io.reflex.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.agent.LlmAgentOperatorFactory;
import io.reflex.operators.llm.LlmAsyncFunction;
import io.reflex.operators.llm.LlmClient;
import io.reflex.operators.llm.LlmClients;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.LlmOutcome;
import io.reflex.operators.llm.LlmRequest;
import io.reflex.operators.llm.PromptBuilder;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import io.reflex.sandbox.StubLlmServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * function, and a synchronous map that calls the LLM. Every variant sits behind the same {@code
 * keyBy}, as in the job. Triggers are on distinct keys, so the agent has nothing to coalesce.
 * Throughput is measured at the stub: calls answered over the time from the first arrival to the
 * last answer.
 */
public final class LlmConcurrencyBench {
    private static final String JOB = "bench";

    /** The agent's defaults without tools, so that its requests match the baseline's. */
    private static final AgentOptions NO_TOOLS =
            new AgentOptions(
                    16, 5, 600, Duration.ofDays(1), true, 0, 0, 0, 5, Duration.ofSeconds(30), 0, 0);

    private LlmConcurrencyBench() {}

    public static void main(String[] args) throws Exception {
        long latencyMs = 200;
        List<Integer> capacities = List.of(64, 256);
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        ObjectNode report = Json.MAPPER.createObjectNode();
        report.put("benchmark", "llm-concurrency");
        report.put("cores", Runtime.getRuntime().availableProcessors());
        report.put(
                "jvm",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        report.put("latency_ms", latencyMs);
        ArrayNode results = report.putArray("results");
        try (StubLlmServer stub =
                StubLlmServer.start(
                        0, StubLlmServer.Settings.healthy().withLatency(latencyMs, 0), 1)) {
            for (int capacity : capacities) {
                int triggers = capacity * rounds;
                double bound = capacity * 1000.0 / latencyMs;
                for (String variant : List.of("reflex-agent", "async-wait-operator")) {
                    stub.resetStats();
                    run(variant, stub, capacity, triggers);
                    double rate = stub.count(StubLlmServer.Outcome.OK) / stub.activeSeconds();
                    add(results, variant, capacity, triggers, rate, bound, stub);
                }
                stub.resetStats();
                int syncCalls = 25;
                run("sync-map", stub, capacity, syncCalls);
                double rate = stub.count(StubLlmServer.Outcome.OK) / stub.activeSeconds();
                add(results, "sync-map", capacity, syncCalls, rate, bound, stub);
            }
        }
        Path out = Path.of("bench/results/llm-concurrency.json");
        Files.createDirectories(out.getParent());
        Files.writeString(
                out, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        System.out.println("wrote " + out);
    }

    private static void add(
            ArrayNode results,
            String variant,
            int capacity,
            int calls,
            double rate,
            double bound,
            StubLlmServer stub) {
        ObjectNode r = results.addObject();
        r.put("variant", variant);
        r.put("capacity", capacity);
        r.put("calls", calls);
        r.put("calls_per_second", Math.round(rate * 10) / 10.0);
        r.put("bound_c_over_l", bound);
        r.put("ratio_to_bound", Math.round(rate / bound * 1000) / 1000.0);
        r.put("max_in_flight_seen_by_stub", stub.maxInFlight());
        System.out.printf(
                "%-20s C=%-4d calls=%-6d %8.1f calls/s  bound %6.0f  ratio %.3f"
                        + "  max in flight %d%n",
                variant, capacity, calls, rate, bound, rate / bound, stub.maxInFlight());
    }

    private static void run(String variant, StubLlmServer stub, int capacity, int n)
            throws Exception {
        LlmOptions llm =
                new LlmOptions(
                        stub.baseUrl(),
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
                        2000);
        ActionCatalogue catalogue =
                new ActionCatalogue(
                        Map.of(
                                "alert",
                                new ActionCatalogue.ActionType(
                                        "alert",
                                        "Page someone.",
                                        "{\"type\":\"object\","
                                                + "\"properties\":{},\"required\":[],\"additionalProperties\":false}")));
        List<Trigger> triggers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            triggers.add(new Trigger("rule", "K" + i, i, List.of("e" + i), "{\"i\":" + i + "}"));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        DataStream<Trigger> in = env.fromData(triggers);
        switch (variant) {
            case "reflex-agent":
                in.keyBy(Trigger::key)
                        .transform(
                                "agent",
                                TypeInformation.of(Action.class),
                                new LlmAgentOperatorFactory(
                                        JOB,
                                        llm,
                                        NO_TOOLS,
                                        catalogue,
                                        new OutputTag<>(
                                                "dlq", TypeInformation.of(DeadLetter.class))))
                        .uid("bench-agent")
                        .sinkTo(new DiscardingSink<>())
                        .uid("bench-agent-sink");
                break;
            case "async-wait-operator":
                AsyncDataStream.unorderedWait(
                                in.keyBy(Trigger::key),
                                new LlmAsyncFunction(JOB, llm, catalogue),
                                60,
                                TimeUnit.SECONDS,
                                capacity)
                        .uid("bench-async")
                        .sinkTo(new DiscardingSink<LlmOutcome>())
                        .uid("bench-async-sink");
                break;
            default:
                in.keyBy(Trigger::key)
                        .map(new SyncCall(llm, catalogue))
                        .uid("bench-sync")
                        .sinkTo(new DiscardingSink<>())
                        .uid("bench-sync-sink");
        }
        env.execute(variant);
    }

    /** The naive baseline: one blocking call per trigger on the task thread. */
    private static final class SyncCall extends RichMapFunction<Trigger, String> {
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
