package io.reflex.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.jobs.config.JobFile;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the event-driven outputs cost: events per second through the Reflex pipeline with the audit
 * topic and the state changelog on ({@code sinks.audit-topic}, {@code sinks.state-topic} at its
 * default interval of 1 s), against the same pipeline without them, in the same run. The input and
 * settings are the ingest benchmark's; the two variants alternate, best round of each counts.
 */
final class OutputsCostBench {
    private OutputsCostBench() {}

    private static final String CHECKPOINT_INTERVAL = "2s";

    static BenchReport run(BenchContext ctx) throws Exception {
        long n = ctx.size(Long.getLong("bench.outputs.events", 500_000), 5_000);
        int keys = (int) ctx.size(Integer.getInteger("bench.outputs.keys", 10_000), 200);
        int rounds = (int) ctx.size(Integer.getInteger("bench.outputs.rounds", 4), 1);
        double share = 0.001;
        BenchReport report =
                new BenchReport(
                        "outputs-cost",
                        "events per second with the audit topic and the state changelog on,"
                                + " against without",
                        "The ingest benchmark's input and pipeline (N JSON trades, the RocksDB"
                                + " detector with three rules, the agent against the stub at zero"
                                + " latency, exactly-once sinks), once with sinks.audit-topic and"
                                + " sinks.state-topic (state-interval 1s) and once without, in the"
                                + " same run.");
        report.param("events", n)
                .param("keys", keys)
                .param("significant_share", share)
                .param("parallelism", BenchContext.PARALLELISM)
                .param("checkpoint_interval", CHECKPOINT_INTERVAL)
                .param("state_interval", "1s")
                .param("rounds_per_variant", rounds)
                .param(
                        "order",
                        "one uncounted warm-up round with the outputs on, then alternating; best"
                                + " round per variant counts");

        EmbeddedKafka kafka = ctx.kafka();
        BenchJobs.Topics topics = BenchJobs.Topics.create(kafka, "outputs");
        String s = UUID.randomUUID().toString().substring(0, 8);
        String audit = "audit-" + s;
        String state = "state-" + s;
        kafka.createTopics(BenchContext.PARALLELISM, audit);
        kafka.createTopic(state, BenchContext.PARALLELISM, Map.of("cleanup.policy", "compact"));
        long significant =
                BenchEvents.produce(
                        kafka.bootstrapServers(), topics.events(), n, keys, share, 1_000_000L, 7);
        System.out.printf("  produced %d trades (%d significant)%n", n, significant);
        String outputs = "  audit-topic: " + audit + "\n  state-topic: " + state;

        Map<String, ObjectNode> best = new LinkedHashMap<>();
        Map<String, List<Long>> rates = new LinkedHashMap<>();
        int outputRounds = 0;
        try (StubLlmServer stub = StubLlmServer.start(0, StubLlmServer.Settings.healthy(), 1)) {
            int round = 0;
            if (!ctx.smoke()) {
                JobFile warm = job("outputs-warmup", kafka, topics, stub, outputs);
                // Warms the code of both variants: the outputs' operators, sinks and serializers
                // besides the pipeline's own.
                Map<String, Object> w = IngestBench.runJob(ctx, warm, false, n);
                outputRounds++;
                System.out.printf(
                        "  %-15s %10.0f events/s  (warm-up, not counted)%n",
                        "reflex+outputs", w.get("rate"));
            }
            for (int r = 0; r < rounds; r++) {
                for (boolean on :
                        r % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                    String variant = on ? "reflex+outputs" : "reflex";
                    JobFile job =
                            job(
                                    "outputs-" + (on ? "on" : "off") + "-" + round++,
                                    kafka,
                                    topics,
                                    stub,
                                    on ? outputs : "");
                    Map<String, Object> run = IngestBench.runJob(ctx, job, false, n);
                    outputRounds += on ? 1 : 0;
                    double rate = (double) run.get("rate");
                    rates.computeIfAbsent(variant, v -> new ArrayList<>()).add(Math.round(rate));
                    System.out.printf("  %-15s %10.0f events/s  (%s)%n", variant, rate, run);
                    ObjectNode b = best.get(variant);
                    if (b == null || rate > b.get("events_per_second").asDouble()) {
                        ObjectNode row = IngestBench.row(variant, run, n);
                        best.put(variant, row);
                    }
                }
            }
        }
        long auditRecords =
                TopicReader.readAll(kafka.bootstrapServers(), audit, Duration.ofSeconds(60)).size();
        long stateRecords =
                TopicReader.readAll(kafka.bootstrapServers(), state, Duration.ofSeconds(60)).size();
        ObjectNode on = best.get("reflex+outputs");
        ObjectNode off = best.get("reflex");
        on.put("audit_records_per_run", auditRecords / outputRounds);
        on.put("state_records_per_run", stateRecords / outputRounds);
        on.put(
                "state_records_per_event",
                BenchReport.round(stateRecords / (double) outputRounds / n, 4));
        report.results().add(off);
        report.results().add(on);
        rates.forEach((v, list) -> report.param(v + "_rates_per_round", list));
        double ratio =
                on.get("events_per_second").asDouble() / off.get("events_per_second").asDouble();
        report.ratio(
                "reflex+outputs / reflex",
                ratio,
                "events per second, best round of each, audit and state topics on against off");
        report.note(
                "The broker, the stub and the MiniCluster share this machine's cores; the ratio is"
                        + " taken within one run.");
        report.note(
                "The state changelog writes at most one record per key per interval while the key"
                        + " changes: with "
                        + keys
                        + " keys all trading, that is up to "
                        + keys
                        + " records per second of run, so its cost grows with the keys active per"
                        + " interval, not with the events.");
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put(
                "events per second",
                List.of(
                        off.get("events_per_second").asDouble(),
                        on.get("events_per_second").asDouble()));
        report.chart(
                "outputs-cost: " + n + " trades on " + keys + " keys",
                "events per second",
                List.of("reflex", "reflex + audit + state"),
                series,
                false);
        return report;
    }

    /** The ingest benchmark's job file, with {@code sinks} (the outputs' keys, or "") added. */
    private static JobFile job(
            String name,
            EmbeddedKafka kafka,
            BenchJobs.Topics topics,
            StubLlmServer stub,
            String sinks)
            throws Exception {
        return BenchJobs.jobFile(
                name,
                kafka,
                topics,
                stub.baseUrl(),
                true,
                "exactly-once",
                CHECKPOINT_INTERVAL,
                "",
                sinks);
    }
}
