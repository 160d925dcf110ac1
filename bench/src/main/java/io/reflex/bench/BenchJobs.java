package io.reflex.bench;

import io.reflex.jobs.ReflexJob;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.jobs.kafka.DecodingDeserializer;
import io.reflex.jobs.kafka.KafkaConnectors;
import io.reflex.operators.decode.Decoded;
import io.reflex.operators.decode.EventDecoder;
import io.reflex.sandbox.EmbeddedKafka;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The benchmarks' Reflex job file and the plain Flink job they compare it with. Both read the same
 * topic through the same Kafka source (the job's decoding deserializer, wrapped to time the first
 * and last record) and run at the same parallelism with the same Flink settings.
 */
final class BenchJobs {
    private BenchJobs() {}

    /** Topic names of one benchmark run. */
    record Topics(String events, String actions, String deadLetters) {
        static Topics create(EmbeddedKafka kafka, String name) throws Exception {
            String s = name + "-" + UUID.randomUUID().toString().substring(0, 8);
            Topics t = new Topics("events-" + s, "actions-" + s, "dlq-" + s);
            kafka.createTopics(BenchContext.PARALLELISM, t.events, t.actions, t.deadLetters);
            return t;
        }
    }

    /**
     * The job file: one Kafka source, three rules of which only {@code halt} fires on these trades
     * (the others keep their statistics and windows up to date on every trade), the stub LLM, and
     * the given delivery; {@code extraLlm} goes into the {@code llm} section, and {@code
     * extraSections} (whole top-level sections, or "") at the end.
     */
    static JobFile jobFile(
            String name,
            EmbeddedKafka kafka,
            Topics topics,
            String llmBaseUrl,
            boolean bounded,
            String delivery,
            String checkpointInterval,
            String extraLlm,
            String extraSections)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job:",
                        "  name: " + name,
                        "  parallelism: " + BenchContext.PARALLELISM,
                        "  checkpoint-interval: " + checkpointInterval,
                        "sources:",
                        "  - name: trades",
                        "    bootstrap-servers: ${BOOTSTRAP}",
                        "    topics: [" + topics.events() + "]",
                        "    group-id: " + name + "-" + topics.events(),
                        "    starting-offsets: earliest",
                        "    bounded: " + bounded,
                        "    key: /symbol",
                        "    event-time: /ts",
                        "    event-id: /id",
                        "rules:",
                        "  - id: price-move",
                        "    type: change-pct",
                        "    sources: [trades]",
                        "    field: /price",
                        "    window: 60s",
                        "    threshold-pct: 50",
                        "    cooldown: 60s",
                        "  - id: volume-spike",
                        "    type: zscore",
                        "    sources: [trades]",
                        "    field: /volume",
                        "    threshold: 1000",
                        "    min-count: 30",
                        "  - id: halt",
                        "    type: match",
                        "    sources: [trades]",
                        "    field: /note",
                        "    pattern: '^halt$'",
                        "llm:",
                        "  base-url: ${LLM}",
                        "  model: stub-model",
                        "  timeout: 10s",
                        "  max-attempts: 3",
                        "  initial-backoff: 50ms",
                        "  max-backoff: 500ms",
                        "  max-concurrent: 64",
                        "  max-tool-rounds: 0",
                        "  circuit-breaker: {failures: 1000}",
                        extraLlm,
                        "actions:",
                        "  - type: alert",
                        "    description: Page someone.",
                        "    params:",
                        "      type: object",
                        "      properties:",
                        "        severity: {type: string, enum: [low, medium, high]}",
                        "      required: [severity]",
                        "      additionalProperties: false",
                        "sinks:",
                        "  bootstrap-servers: ${BOOTSTRAP}",
                        "  actions-topic: " + topics.actions(),
                        "  dead-letter-topic: " + topics.deadLetters(),
                        "  delivery: " + delivery,
                        extraSections,
                        "");
        return new JobFileParser(Map.of("BOOTSTRAP", kafka.bootstrapServers(), "LLM", llmBaseUrl))
                .parse(name + ".yaml", yaml);
    }

    /** Prefix of system properties passed to every job of a run as Flink settings. */
    static final String FLINK_PROPERTY_PREFIX = "bench.flink.";

    /**
     * The job's Flink settings (RocksDB, incremental exactly-once checkpoints) and extras, then any
     * {@code -Dbench.flink.KEY=VALUE} as {@code KEY: VALUE}, for Reflex and its baselines alike: to
     * try a setting (for example {@code state.backend.rocksdb.writebuffer.size}) without a build.
     */
    static Configuration configuration(JobFile job, Configuration extra) {
        Configuration conf = ReflexJob.configuration(job);
        conf.addAll(extra);
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(FLINK_PROPERTY_PREFIX)) {
                conf.setString(
                        name.substring(FLINK_PROPERTY_PREFIX.length()), System.getProperty(name));
            }
        }
        return conf;
    }

    /**
     * The job file's Kafka source, decoding as the job does, with its deserializer wrapped to
     * record when the first and the last record of the run {@code probe} were read.
     */
    static DataStream<Decoded> source(StreamExecutionEnvironment env, JobFile job, String probe) {
        JobFile.KafkaSourceSpec spec = job.sources().get(0);
        var builder =
                KafkaSource.<Decoded>builder()
                        .setBootstrapServers(spec.bootstrapServers())
                        .setTopics(spec.topics())
                        .setGroupId(spec.groupId())
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setDeserializer(
                                new TimedDeserializer(
                                        probe,
                                        new DecodingDeserializer(
                                                spec.name(),
                                                new EventDecoder(
                                                        spec.decoding(),
                                                        job.detector().fields()))));
        if (spec.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        KafkaSource<Decoded> source = builder.build();
        return env.fromSource(source, KafkaConnectors.watermarks(spec), "Kafka: " + spec.name())
                .uid(KafkaConnectors.sourceUid(spec.name()));
    }

    /** The Reflex pipeline on the timed source, with its real Kafka sinks (all the file names). */
    static void reflex(StreamExecutionEnvironment env, JobFile job, String probe) {
        ReflexJob.defineWorkflow(env, job, source(env, job, probe), ReflexJob.Outputs.kafka(job));
    }

    /**
     * The plain job: the same source and {@code keyBy}, and one RocksDB {@code ValueState} update
     * per event.
     */
    static void plain(StreamExecutionEnvironment env, JobFile job, String probe) {
        source(env, job, probe)
                .keyBy(d -> d.event().key(), Types.STRING)
                .process(new CountPerKey())
                .uid("plain-count")
                .name("Count per key")
                .sinkTo(new org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink<>())
                .uid("plain-sink")
                .name("Discard");
    }

    /** One {@code ValueState<Long>} per key, read and written once per event. */
    static final class CountPerKey extends KeyedProcessFunction<String, Decoded, Long> {
        private transient ValueState<Long> count;

        @Override
        public void open(OpenContext openContext) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public void processElement(Decoded d, Context ctx, Collector<Long> out) throws Exception {
            Long c = count.value();
            count.update(c == null ? 1L : c + 1);
        }
    }

    /** First and last read times and the count of records read, per run, in this JVM. */
    static final class Probe {
        private static final Map<String, Probe> RUNS = new ConcurrentHashMap<>();

        final AtomicLong firstNanos = new AtomicLong();
        final AtomicLong lastNanos = new AtomicLong();
        final AtomicLong records = new AtomicLong();

        static Probe of(String run) {
            return RUNS.computeIfAbsent(run, r -> new Probe());
        }

        static Probe remove(String run) {
            Probe p = RUNS.remove(run);
            return p == null ? new Probe() : p;
        }

        void read() {
            long now = System.nanoTime();
            firstNanos.compareAndSet(0, now);
            lastNanos.set(now);
            records.incrementAndGet();
        }
    }

    /** The job's deserializer, recording each read in the run's {@link Probe}. */
    static final class TimedDeserializer implements KafkaRecordDeserializationSchema<Decoded> {
        private final String probe;
        private final DecodingDeserializer inner;
        private transient Probe timing;

        TimedDeserializer(String probe, DecodingDeserializer inner) {
            this.probe = probe;
            this.inner = inner;
        }

        @Override
        public void open(
                org.apache.flink.api.common.serialization.DeserializationSchema
                                .InitializationContext
                        context)
                throws Exception {
            inner.open(context);
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded> out)
                throws java.io.IOException {
            if (timing == null) {
                timing = Probe.of(probe);
            }
            timing.read();
            inner.deserialize(record, out);
        }

        @Override
        public TypeInformation<Decoded> getProducedType() {
            return inner.getProducedType();
        }
    }
}
