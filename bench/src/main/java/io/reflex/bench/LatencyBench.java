package io.reflex.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.jobs.config.JobFile;
import io.reflex.operators.decode.Decoded;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Trigger-to-action latency at a steady input rate: each significant trade carries the wall clock
 * of its send as its event time; a {@code read_committed} consumer in this JVM takes the time each
 * action becomes visible, and the stub's fixed LLM latency is subtracted. Reflex runs with the
 * at-least-once and with the exactly-once actions sink; a plain Flink job with the same source,
 * {@code keyBy} and an at-least-once Kafka sink, forwarding the significant trades, gives the floor
 * of Kafka to Flink to Kafka on this machine.
 */
final class LatencyBench {
    private LatencyBench() {}

    static BenchReport run(BenchContext ctx) throws Exception {
        int rate = (int) ctx.size(10_000, 1_000);
        long warmupS = ctx.size(10, 0);
        long measureS = ctx.size(Long.getLong("bench.latency.measure-s", 40), 2);
        long jvmWarmupS = ctx.smoke() ? 0 : Long.getLong("bench.latency.jvm-warmup-s", 60);
        double share = ctx.smoke() ? 0.01 : 0.001;
        int keys = (int) ctx.size(10_000, 200);
        long stubLatencyMs = 50;
        String checkpointInterval = System.getProperty("bench.latency.checkpoint-interval", "1s");
        BenchReport report =
                new BenchReport(
                        "latency",
                        "trigger-to-action latency at a steady rate",
                        "Trades go to Kafka at a steady rate; each carries the wall-clock time it"
                                + " was sent as its event time, and about 0.1% are significant (as in ingest). A"
                                + " read_committed consumer in the same JVM takes the time each"
                                + " action becomes visible; latency is that time minus the"
                                + " significant trade's send time minus the stub's fixed LLM"
                                + " latency. Reflex runs with the at-least-once and with the"
                                + " exactly-once actions sink. The baseline is a plain Flink job"
                                + " with the same source and keyBy, one ValueState update per"
                                + " trade, forwarding the significant trades to an at-least-once"
                                + " Kafka sink: the floor of Kafka to Flink to Kafka here.");
        report.param("events_per_second", rate)
                .param("significant_share", share)
                .param("keys", keys)
                .param("jvm_warmup_s", jvmWarmupS)
                .param("warmup_s", warmupS)
                .param("measure_s", measureS)
                .param("stub_latency_ms", stubLatencyMs)
                .param("checkpoint_interval", checkpointInterval)
                .param("parallelism", BenchContext.PARALLELISM)
                .param(
                        "flink_buffer_timeout",
                        "job.buffer-timeout's default (10 ms) for every job unless a row says"
                                + " otherwise");

        EmbeddedKafka kafka = ctx.kafka();
        Map<String, double[]> p = new LinkedHashMap<>();
        List<String> labels = new ArrayList<>();
        try (StubLlmServer stub =
                StubLlmServer.start(
                        0, StubLlmServer.Settings.healthy().withLatency(stubLatencyMs, 0), 5)) {
            /**
             * A row; {@code label} names it in the chart, {@code flink} holds the Flink settings it
             * changes.
             */
            record Variant(
                    String name,
                    String label,
                    boolean plain,
                    String delivery,
                    String sections,
                    Map<String, String> flink) {}
            String compression = RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL.key();
            List<Variant> variants =
                    List.of(
                            new Variant(
                                    "plain-flink at-least-once",
                                    "plain flink ALO",
                                    true,
                                    "at-least-once",
                                    "",
                                    Map.of()),
                            new Variant(
                                    "reflex at-least-once",
                                    "reflex ALO",
                                    false,
                                    "at-least-once",
                                    "",
                                    Map.of()),
                            new Variant(
                                    "reflex exactly-once",
                                    "reflex EO",
                                    false,
                                    "exactly-once",
                                    "",
                                    Map.of()),
                            new Variant(
                                    "reflex at-least-once, buffer-timeout 100ms (Flink's default)",
                                    "reflex ALO, 100 ms buffers",
                                    false,
                                    "at-least-once",
                                    "",
                                    Map.of("execution.buffer-timeout.interval", "100 ms")),
                            new Variant(
                                    "reflex at-least-once, no statistics cache"
                                            + " (detector.cache-bytes 0)",
                                    "reflex ALO, no cache",
                                    false,
                                    "at-least-once",
                                    "detector:\n  cache-bytes: 0",
                                    Map.of()),
                            new Variant(
                                    "reflex at-least-once, RocksDB's default Snappy files",
                                    "reflex ALO, Snappy",
                                    false,
                                    "at-least-once",
                                    "",
                                    Map.of(compression, "SNAPPY_COMPRESSION")),
                            new Variant(
                                    "reflex at-least-once, ZSTD files at every level",
                                    "reflex ALO, ZSTD everywhere",
                                    false,
                                    "at-least-once",
                                    "",
                                    Map.of(compression, "ZSTD_COMPRESSION")));
            if (ctx.smoke()) {
                variants = variants.subList(0, 3);
            }
            String rows = System.getProperty("bench.latency.rows");
            if (rows != null) {
                // The first three rows carry the report's ratios; the others are picked by label.
                List<String> picked = List.of(rows.split(","));
                List<Variant> all = variants;
                variants =
                        all.stream()
                                .filter(v -> all.indexOf(v) < 3 || picked.contains(v.label()))
                                .toList();
            }
            if (jvmWarmupS > 0) {
                // One unmeasured Reflex run first: on two cores the JIT compiles Reflex's code
                // (Jackson, the OpenAI SDK, Flink's runtime for these types) for over a minute,
                // and a variant measured meanwhile measures the compiler's queue, not the job.
                BenchJobs.Topics topics = BenchJobs.Topics.create(kafka, "latency");
                JobFile job =
                        BenchJobs.jobFile(
                                "latency-warmup",
                                kafka,
                                topics,
                                stub.baseUrl(),
                                false,
                                "at-least-once",
                                checkpointInterval,
                                "",
                                "");
                System.out.printf(
                        "  warming the JVM with Reflex for %d s (not measured)%n", jvmWarmupS);
                measure(
                        ctx,
                        kafka,
                        topics,
                        job,
                        new Configuration(),
                        false,
                        rate,
                        keys,
                        share,
                        jvmWarmupS,
                        1,
                        stubLatencyMs);
            }
            for (Variant v : variants) {
                BenchJobs.Topics topics = BenchJobs.Topics.create(kafka, "latency");
                JobFile job =
                        BenchJobs.jobFile(
                                "latency-" + p.size(),
                                kafka,
                                topics,
                                stub.baseUrl(),
                                false,
                                v.delivery(),
                                checkpointInterval,
                                "",
                                v.sections());
                Configuration extra = Configuration.fromMap(v.flink());
                Measured m =
                        measure(
                                ctx,
                                kafka,
                                topics,
                                job,
                                extra,
                                v.plain(),
                                rate,
                                keys,
                                share,
                                warmupS,
                                measureS,
                                v.plain() ? 0 : stubLatencyMs);
                ObjectNode r = report.result(v.name());
                r.put("delivery", v.delivery());
                r.put("events_sent", m.sent);
                r.put("samples", m.samples.length);
                r.put("p50_ms", BenchReport.round(percentile(m.samples, 50), 1));
                r.put("p99_ms", BenchReport.round(percentile(m.samples, 99), 1));
                r.put("max_ms", BenchReport.round(percentile(m.samples, 100), 1));
                r.put(
                        "achieved_events_per_second",
                        Math.round(m.sent / (double) (warmupS + measureS)));
                if (!v.plain()) {
                    r.put("llm_latency_p50_ms_seen_by_client", m.llmP50);
                    r.put("llm_latency_p99_ms_seen_by_client", m.llmP99);
                    r.put("to_emit_p50_ms", BenchReport.round(percentile(m.toEmit, 50), 1));
                    r.put("to_emit_p99_ms", BenchReport.round(percentile(m.toEmit, 99), 1));
                    r.put(
                            "to_emit_outside_llm_call_p99_ms",
                            BenchReport.round(percentile(m.outsideLlm, 99), 1));
                    r.put(
                            "emit_to_visible_p50_ms",
                            BenchReport.round(percentile(m.toVisible, 50), 1));
                    r.put(
                            "emit_to_visible_p99_ms",
                            BenchReport.round(percentile(m.toVisible, 99), 1));
                }
                System.out.printf(
                        "  %-42s p50 %7.1f ms  p99 %7.1f ms  (%d samples; p99 to emit %.1f ms,"
                                + " of which outside the LLM call %.1f ms, emit to visible %.1f ms)%n",
                        v.name(),
                        percentile(m.samples, 50),
                        percentile(m.samples, 99),
                        m.samples.length,
                        percentile(m.toEmit, 99),
                        percentile(m.outsideLlm, 99),
                        percentile(m.toVisible, 99));
                labels.add(v.label());
                p.put(
                        v.name(),
                        new double[] {percentile(m.samples, 50), percentile(m.samples, 99)});
            }
        }
        double[] plain = p.get("plain-flink at-least-once");
        double[] alo = p.get("reflex at-least-once");
        double[] eo = p.get("reflex exactly-once");
        double intervalMs = TimeUtils.parseDuration(checkpointInterval).toMillis();
        report.ratio(
                "reflex at-least-once p99 - plain p99 (ms)",
                alo[1] - plain[1],
                "what Reflex adds to Kafka-Flink-Kafka at p99, LLM latency excluded");
        report.ratio("reflex at-least-once / plain, p50", alo[0] / plain[0], "latency");
        report.ratio("reflex at-least-once / plain, p99", alo[1] / plain[1], "latency");
        report.ratio(
                "reflex exactly-once p99 / checkpoint interval",
                eo[1] / intervalMs,
                "exactly-once actions wait for the checkpoint that commits them");
        report.target(
                "reflex at-least-once p99 - plain p99 <= 50 ms", 50, alo[1] - plain[1], false);
        report.target(
                "reflex exactly-once p99 <= checkpoint interval + 100 ms",
                intervalMs + 100,
                eo[1],
                false);
        report.note(
                "Overhead is measured end to end: from the producer's send of the significant"
                        + " trade to the moment a read_committed consumer sees the action, minus"
                        + " the stub's fixed "
                        + stubLatencyMs
                        + " ms. It includes two Kafka hops, the source's fetch, the keyBy"
                        + " shuffle, the detector, the agent and the HTTP round trip beyond the"
                        + " stub's wait.");
        report.note(
                "With 1% of trades significant (100 triggers per second) Reflex saturated at"
                        + " 10,000 trades per second on this machine and latency grew to seconds"
                        + " (p50 4.7 s in one run): each trigger costs the task thread about as much"
                        + " as a hundred trades (prompt, request, answer validation), on top of"
                        + " the detector's per-trade cost; see the ingest report.");
        report.note(
                "Before the rows, one unmeasured Reflex run of "
                        + jvmWarmupS
                        + " s warms the JVM: in a first run, the JIT compiler takes a core of"
                        + " this 2-core machine for over a minute, and queues form before the"
                        + " task threads that the rows would measure instead of the job.");
        report.note(
                "Flink flushes a network buffer when it is full or after the buffer timeout"
                        + " (100 ms by Flink's default): at 10,000 trades per second over four"
                        + " channels a 32 KiB buffer fills in tens of milliseconds, so the keyBy"
                        + " hop alone adds up to that to each trigger. Every job here sets"
                        + " job.buffer-timeout's default of 10 ms; the fourth row shows Reflex"
                        + " with Flink's 100 ms.");
        report.note(
                "Every job writes RocksDB's level-0 files uncompressed and ZSTD below, the"
                        + " job's setting; the last two rows compress level 0 too, with RocksDB's"
                        + " default Snappy and with ZSTD: Flink's checkpoint flushes the memtable"
                        + " into level 0 on the task thread, so compressing it lengthens the"
                        + " pause that is this benchmark's p99.");
        report.note(
                "The fifth row turns the detector's statistics cache off (detector.cache-bytes 0):"
                        + " every event reads and writes its key's statistics in RocksDB, as"
                        + " before the cache. At about one trade per key per second the cache"
                        + " saves few writes here; it must not lengthen the checkpoint's pause,"
                        + " which is this benchmark's p99.");
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put("p50", new ArrayList<>());
        series.put("p99", new ArrayList<>());
        for (double[] v : p.values()) {
            series.get("p50").add(BenchReport.round(v[0], 1));
            series.get("p99").add(BenchReport.round(v[1], 1));
        }
        report.chart(
                "latency at " + rate + " events/s (LLM latency subtracted)",
                "milliseconds",
                labels,
                series,
                false);
        return report;
    }

    /**
     * One run's figures: end-to-end latencies (sorted, LLM latency subtracted), the client-seen LLM
     * latency, and the two halves of each Reflex sample: from the trade's send to the agent's
     * {@code emitted_at} (LLM latency subtracted), and from {@code emitted_at} to visible.
     */
    private record Measured(
            long sent,
            double[] samples,
            double llmP50,
            double llmP99,
            double[] toEmit,
            double[] outsideLlm,
            double[] toVisible) {}

    private static Measured measure(
            BenchContext ctx,
            EmbeddedKafka kafka,
            BenchJobs.Topics topics,
            JobFile job,
            Configuration extra,
            boolean plain,
            int rate,
            int keys,
            double share,
            long warmupS,
            long measureS,
            long subtractMs)
            throws Exception {
        StreamExecutionEnvironment env = ctx.env(BenchJobs.configuration(job, extra));
        String probe = job.name() + "-" + System.nanoTime();
        if (plain) {
            forwardSignificant(env, job, probe, topics.actions(), kafka.bootstrapServers());
        } else {
            BenchJobs.reflex(env, job, probe);
        }
        JobClient client = env.executeAsync(job.name());
        List<double[]> samples = new ArrayList<>();
        AtomicBoolean stopConsumer = new AtomicBoolean();
        long[] measureFrom = {Long.MAX_VALUE};
        Thread consumer =
                new Thread(
                        () -> consume(kafka, topics.actions(), stopConsumer, samples, measureFrom),
                        "latency-consumer");
        long sent;
        try {
            waitRunning(client, ctx.smoke() ? 1 : 2);
            consumer.start();
            long started = System.currentTimeMillis();
            measureFrom[0] = started + TimeUnit.SECONDS.toMillis(warmupS);
            long stopAt = measureFrom[0] + TimeUnit.SECONDS.toMillis(measureS);
            sent =
                    BenchEvents.producePaced(
                            kafka.bootstrapServers(),
                            topics.events(),
                            rate,
                            keys,
                            share,
                            11,
                            () -> System.currentTimeMillis() >= stopAt);
            // Let the last actions of the window through (exactly-once: the next checkpoint).
            long drainUntil =
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.smoke() ? 1500 : 4000);
            while (System.nanoTime() < drainUntil) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        } finally {
            stopConsumer.set(true);
            consumer.join(TimeUnit.SECONDS.toMillis(30));
            try {
                client.cancel().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // The job may have failed already; its status is checked below.
            }
            BenchJobs.Probe.remove(probe);
        }
        double[] latencies;
        double llmP50;
        double llmP99;
        double[] toEmit;
        double[] toVisible;
        double[] outsideLlm;
        synchronized (samples) {
            latencies = samples.stream().mapToDouble(s -> s[0] - subtractMs).sorted().toArray();
            double[] llm = samples.stream().mapToDouble(s -> s[1]).sorted().toArray();
            llmP50 = percentile(llm, 50);
            llmP99 = percentile(llm, 99);
            toEmit = samples.stream().mapToDouble(s -> s[2] - subtractMs).sorted().toArray();
            toVisible = samples.stream().mapToDouble(s -> s[0] - s[2]).sorted().toArray();
            outsideLlm = samples.stream().mapToDouble(s -> s[2] - s[1]).sorted().toArray();
            if (Boolean.getBoolean("bench.latency.samples-csv")) {
                // Every sample of the run, for finding what the tail has in common (time, phase).
                StringBuilder csv = new StringBuilder("sent_at_ms,total_ms,llm_ms,to_emit_ms\n");
                for (double[] x : samples) {
                    csv.append((long) x[3]).append(',').append((long) x[0]).append(',');
                    csv.append((long) x[1]).append(',').append((long) x[2]).append('\n');
                }
                Files.createDirectories(ctx.resultsDir());
                Files.writeString(
                        ctx.resultsDir().resolve("latency-" + job.name() + "-samples.csv"),
                        csv.toString());
            }
        }
        if (latencies.length == 0) {
            throw new IllegalStateException(job.name() + ": no action arrived in the window");
        }
        return new Measured(sent, latencies, llmP50, llmP99, toEmit, outsideLlm, toVisible);
    }

    private static void waitRunning(JobClient client, long settleSeconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (client.getJobStatus().get() != JobStatus.RUNNING) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the job did not start within 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        // Give the sources time to be assigned their partitions before the load starts.
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(settleSeconds);
        while (System.nanoTime() < settle) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** Records, for each action of the window, visible-time minus its trigger's send time. */
    private static void consume(
            EmbeddedKafka kafka,
            String topic,
            AtomicBoolean stop,
            List<double[]> samples,
            long[] measureFrom) {
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        TopicReader.readCommittedProperties(kafka.bootstrapServers()))) {
            List<TopicPartition> partitions =
                    c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                            .map(pi -> new TopicPartition(topic, pi.partition()))
                            .collect(Collectors.toList());
            c.assign(partitions);
            c.seekToBeginning(partitions);
            while (!stop.get()) {
                var records = c.poll(Duration.ofMillis(20));
                long now = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    JsonNode a = Json.MAPPER.readTree(r.value());
                    long sentAt = a.at("/trigger/event_time").asLong();
                    if (sentAt >= measureFrom[0]) {
                        // The plain job's records carry no emitted_at: all of it counts as before.
                        long emittedAt = a.path("emitted_at").asLong(now);
                        synchronized (samples) {
                            samples.add(
                                    new double[] {
                                        now - sentAt,
                                        a.at("/llm/latency_ms").asDouble(),
                                        emittedAt - sentAt,
                                        sentAt
                                    });
                        }
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plain job: source, keyBy, a ValueState update, significant trades to Kafka. */
    private static void forwardSignificant(
            StreamExecutionEnvironment env,
            JobFile job,
            String probe,
            String topic,
            String bootstrapServers) {
        KafkaSink<String> sink =
                KafkaSink.<String>builder()
                        .setBootstrapServers(bootstrapServers)
                        .setRecordSerializer(
                                KafkaRecordSerializationSchema.builder()
                                        .setTopic(topic)
                                        .setValueSerializationSchema(new SimpleStringSchema())
                                        .build())
                        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                        .build();
        BenchJobs.source(env, job, probe)
                .keyBy(d -> d.event().key(), Types.STRING)
                .process(new ForwardSignificant())
                .uid("plain-forward")
                .name("Forward significant trades")
                .sinkTo(sink)
                .uid("plain-kafka-sink")
                .name("Kafka sink");
    }

    /** Counts per key in a ValueState and forwards significant trades as {trigger:{event_time}}. */
    static final class ForwardSignificant extends KeyedProcessFunction<String, Decoded, String> {
        private transient ValueState<Long> count;

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext openContext) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public void processElement(Decoded d, Context ctx, Collector<String> out) throws Exception {
            Long c = count.value();
            count.update(c == null ? 1L : c + 1);
            if (d.event().payload().contains("\"note\":\"halt\"")) {
                out.collect(
                        "{\"trigger\":{\"event_time\":" + d.event().eventTime() + "},\"llm\":{}}");
            }
        }
    }

    /** The {@code pct} percentile of sorted values (nearest rank). */
    static double percentile(double[] sorted, double pct) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(pct / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    static double[] sortedCopy(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s;
    }
}
