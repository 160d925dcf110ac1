package io.reflex.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.agent.LlmAgentOperatorFactory;
import io.reflex.operators.decide.LlmAsyncFunction;
import io.reflex.operators.decide.LlmOutcome;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Trigger;
import io.reflex.sandbox.StubLlmServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.OutputTag;

/**
 * LLM calls per trigger when bursts of triggers hit a few keys: Reflex's agent, which keeps one
 * request in flight per key and coalesces the triggers that arrive meanwhile into the next one,
 * against Flink's {@code AsyncWaitOperator} with Reflex's plain async function, which makes one
 * call per trigger. Both run in the same run against the same stub.
 */
final class BurstCostBench {
    private static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dlq", TypeInformation.of(DeadLetter.class));

    private BurstCostBench() {}

    static BenchReport run(BenchContext ctx) throws Exception {
        int keys = 4;
        int waves = (int) ctx.size(10, 2);
        int perKeyPerWave = (int) ctx.size(25, 5);
        long gapMs = 500;
        long latencyMs = 200;
        int capacity = 64;
        int backlog = 200;
        int triggers = keys * waves * perKeyPerWave;
        BenchReport report =
                new BenchReport(
                        "burst-cost",
                        "LLM calls per trigger in bursts on a few keys",
                        "Waves of triggers hit a few keys at once: every key gets a burst of"
                                + " triggers at the start of each wave. Reflex's agent keeps one"
                                + " request in flight per key and coalesces the triggers that"
                                + " arrive meanwhile into that key's next request; Flink's"
                                + " AsyncWaitOperator with Reflex's plain async function, behind"
                                + " the same keyBy and at the same capacity, calls once per"
                                + " trigger. The stub counts the calls.");
        report.param("keys", keys)
                .param("waves", waves)
                .param("triggers_per_key_per_wave", perKeyPerWave)
                .param("wave_gap_ms", gapMs)
                .param("triggers", triggers)
                .param("stub_latency_ms", latencyMs)
                .param("capacity", capacity)
                .param("max_backlog", backlog)
                .param("parallelism", 1);
        Map<String, Double> perTrigger = new LinkedHashMap<>();
        try (StubLlmServer stub =
                StubLlmServer.start(
                        0, StubLlmServer.Settings.healthy().withLatency(latencyMs, 0), 3)) {
            for (String variant : List.of("reflex-agent", "async-wait-operator")) {
                stub.resetStats();
                String run = variant + "-" + System.nanoTime();
                long started = System.nanoTime();
                execute(
                        ctx,
                        variant,
                        run,
                        stub,
                        keys,
                        waves,
                        perKeyPerWave,
                        gapMs,
                        capacity,
                        backlog);
                double seconds = (System.nanoTime() - started) / 1e9;
                Counts c = Counts.remove(run);
                long calls = stub.requests();
                ObjectNode r = report.result(variant);
                r.put("triggers", triggers);
                r.put("llm_calls", calls);
                r.put("calls_per_trigger", BenchReport.round(calls / (double) triggers, 4));
                r.put("triggers_decided", c.decided.get());
                r.put("outputs", c.outputs.get());
                r.put("dead_letters", c.deadLetters.get());
                r.put("seconds", BenchReport.round(seconds, 1));
                System.out.printf(
                        "  %-20s %d triggers -> %d calls (%.3f per trigger), %d decided,"
                                + " %d dead letters%n",
                        variant,
                        triggers,
                        calls,
                        calls / (double) triggers,
                        c.decided.get(),
                        c.deadLetters.get());
                perTrigger.put(variant, calls / (double) triggers);
            }
        }
        double ratio = perTrigger.get("reflex-agent") / perTrigger.get("async-wait-operator");
        report.ratio(
                "reflex-agent / async-wait-operator",
                ratio,
                "LLM calls per trigger (lower is cheaper)");
        report.ratio(
                "reflex-agent calls per trigger",
                perTrigger.get("reflex-agent"),
                "against 1.0 for one call per trigger");
        report.note(
                "Every trigger is decided in both variants (triggers_decided counts the event ids"
                        + " the actions name); the agent answers a coalesced batch with one"
                        + " decision, so it emits fewer actions.");
        report.note(
                "In each wave a key's first trigger starts a call; the rest of the burst arrives"
                        + " while it is in flight and goes into the key's next call, so a wave"
                        + " costs about two calls per key however large the burst.");
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put(
                "LLM calls per trigger",
                List.of(
                        BenchReport.round(perTrigger.get("reflex-agent"), 4),
                        BenchReport.round(perTrigger.get("async-wait-operator"), 4)));
        report.chart(
                "burst-cost: " + triggers + " triggers on " + keys + " keys",
                "LLM calls per trigger",
                List.of("reflex agent (coalescing)", "AsyncWaitOperator (one per trigger)"),
                series,
                false);
        return report;
    }

    private static void execute(
            BenchContext ctx,
            String variant,
            String run,
            StubLlmServer stub,
            int keys,
            int waves,
            int perKeyPerWave,
            long gapMs,
            int capacity,
            int backlog)
            throws Exception {
        LlmOptions llm = LlmConcurrencyBench.llm(stub.baseUrl(), capacity);
        ActionCatalogue catalogue = LlmConcurrencyBench.catalogue();
        AgentOptions agent = LlmConcurrencyBench.agent(backlog, 0, 0, true, 5);
        List<Trigger> triggers = new ArrayList<>();
        int id = 0;
        for (int w = 0; w < waves; w++) {
            for (int i = 0; i < perKeyPerWave; i++) {
                for (int k = 0; k < keys; k++) {
                    // The event time says when the trigger is due: its wave's start.
                    triggers.add(
                            new Trigger(
                                    "burst",
                                    "BURST" + k,
                                    w * gapMs,
                                    List.of("b" + id),
                                    "{\"i\":" + id + "}"));
                    id++;
                }
            }
        }
        StreamExecutionEnvironment env = ctx.env(new Configuration());
        env.setParallelism(1);
        DataStream<Trigger> in =
                env.fromData(triggers)
                        .uid("burst-triggers")
                        .name("Triggers")
                        .map(new Paced())
                        .uid("burst-pacing")
                        .name("Pace the waves");
        if (variant.equals("reflex-agent")) {
            SingleOutputStreamOperator<Action> actions =
                    in.keyBy(Trigger::key)
                            .transform(
                                    "Reflex agent",
                                    TypeInformation.of(Action.class),
                                    new LlmAgentOperatorFactory(
                                            "bench", llm, agent, catalogue, DEAD_LETTERS))
                            .uid("burst-agent");
            actions.map(new CountDecided<>(run, Action::eventIds))
                    .uid("burst-count")
                    .name("Count decided triggers")
                    .sinkTo(new DiscardingSink<>())
                    .uid("burst-sink")
                    .name("Discard");
            actions.getSideOutput(DEAD_LETTERS)
                    .map(new CountDeadLetters(run))
                    .uid("burst-count-dlq")
                    .name("Count dead letters")
                    .sinkTo(new DiscardingSink<>())
                    .uid("burst-dlq-sink")
                    .name("Discard dead letters");
        } else {
            AsyncDataStream.unorderedWait(
                            in.keyBy(Trigger::key),
                            new LlmAsyncFunction("bench", llm, catalogue),
                            60,
                            TimeUnit.SECONDS,
                            capacity)
                    .uid("burst-async")
                    .name("AsyncWaitOperator")
                    .map(
                            new CountDecided<LlmOutcome>(
                                    run,
                                    o -> o.trigger() == null ? List.of() : o.trigger().eventIds()))
                    .uid("burst-count")
                    .name("Count decided triggers")
                    .sinkTo(new DiscardingSink<>())
                    .uid("burst-sink")
                    .name("Discard");
        }
        env.execute("burst-cost " + variant);
    }

    /** Per run: outputs, the trigger ids they decide, and dead letters, in this JVM. */
    static final class Counts {
        private static final Map<String, Counts> RUNS = new ConcurrentHashMap<>();
        final AtomicLong outputs = new AtomicLong();
        final AtomicLong decided = new AtomicLong();
        final AtomicLong deadLetters = new AtomicLong();

        static Counts of(String run) {
            return RUNS.computeIfAbsent(run, r -> new Counts());
        }

        static Counts remove(String run) {
            Counts c = RUNS.remove(run);
            return c == null ? new Counts() : c;
        }
    }

    /** Ids of the triggers an output decides. */
    interface DecidedIds<T> extends java.io.Serializable {
        List<String> of(T output);
    }

    /** Counts outputs and the trigger ids they decide. */
    static final class CountDecided<T> implements MapFunction<T, Integer> {
        private final String run;
        private final DecidedIds<T> ids;

        CountDecided(String run, DecidedIds<T> ids) {
            this.run = run;
            this.ids = ids;
        }

        @Override
        public Integer map(T value) {
            Counts c = Counts.of(run);
            c.outputs.incrementAndGet();
            int n = ids.of(value).size();
            c.decided.addAndGet(n);
            return n;
        }
    }

    /** Counts dead letters. */
    static final class CountDeadLetters implements MapFunction<DeadLetter, Integer> {
        private final String run;

        CountDeadLetters(String run) {
            this.run = run;
        }

        @Override
        public Integer map(DeadLetter value) {
            Counts.of(run).deadLetters.incrementAndGet();
            return 1;
        }
    }

    /**
     * Holds each trigger until its wave is due (its event time, from the first trigger). This is
     * the load generator's pacing, on the source's task, before the {@code keyBy}.
     */
    static final class Paced extends RichMapFunction<Trigger, Trigger> {
        private transient long startNanos;

        @Override
        public void open(OpenContext openContext) {
            startNanos = System.nanoTime();
        }

        @Override
        public Trigger map(Trigger t) {
            long due = startNanos + TimeUnit.MILLISECONDS.toNanos(t.eventTime());
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            return t;
        }
    }
}
