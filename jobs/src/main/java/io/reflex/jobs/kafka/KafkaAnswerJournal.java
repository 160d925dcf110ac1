package io.reflex.jobs.kafka;

import io.reflex.jobs.config.JobFile;
import io.reflex.operators.journal.AnswerJournal;
import io.reflex.operators.journal.JournalEntry;
import io.reflex.operators.journal.JournalFactory;
import io.reflex.operators.journal.JournalOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response journal on a Kafka topic, on the sinks' brokers with the sinks' client properties.
 * Appends go through a producer outside any transaction (so they outlive the job's failure), keyed
 * by request id, to the partition of the entry's key group; the producer retries a failed write for
 * up to its delivery timeout, and a write that still fails is counted and logged (its request's
 * actions are emitted regardless). The topic is created compacted, with the journal's retention,
 * when missing.
 */
public final class KafkaAnswerJournal implements AnswerJournal {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaAnswerJournal.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final String topic;
    private final String replaySource;
    private final int partitions;
    private final Duration restoreTimeout;
    private final Properties clientProperties;
    private final KafkaProducer<byte[], byte[]> producer;

    /** Per partition: one past the highest offset acknowledged to this journal. */
    private final Map<Integer, Long> acknowledged = new ConcurrentHashMap<>();

    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    private KafkaAnswerJournal(
            String topic,
            String replaySource,
            int partitions,
            Duration restoreTimeout,
            Properties clientProperties) {
        this.topic = topic;
        this.replaySource = replaySource;
        this.partitions = partitions;
        this.restoreTimeout = restoreTimeout;
        this.clientProperties = clientProperties;
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // Not idempotent: a retry may write an entry twice, which the journal's readers take as
        // one (they key entries by request id, and compaction keeps one), while an idempotent
        // producer was seen stuck for its whole delivery timeout on a topic just created (see
        // FeedGenerator.producerProperties).
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        this.producer = new KafkaProducer<>(p);
    }

    /** The factory the job's agent uses: the journal of {@code options} on the sinks' brokers. */
    public static JournalFactory factory(JobFile.SinkSpec sinks, JournalOptions options) {
        return factory(sinks.bootstrapServers(), sinks.properties(), options);
    }

    /** The factory of a journal on {@code bootstrap} with these client properties. */
    public static JournalFactory factory(
            String bootstrap, Map<String, String> properties, JournalOptions options) {
        Map<String, String> props = Map.copyOf(properties);
        return (job, subtask) -> open(bootstrap, props, options, job, subtask);
    }

    /** Opens the journal, creating its topic when missing; the partitions are the topic's own. */
    static KafkaAnswerJournal open(
            String bootstrap,
            Map<String, String> properties,
            JournalOptions options,
            String job,
            int subtask)
            throws Exception {
        Properties client = new Properties();
        client.putAll(properties);
        client.put("bootstrap.servers", bootstrap);
        client.put("client.id", "reflex-journal-" + job + "-" + subtask);
        int partitions;
        try (Admin admin = KafkaPreflight.admin(bootstrap, properties, ADMIN_TIMEOUT)) {
            partitions = ensureTopic(admin, options);
        }
        return new KafkaAnswerJournal(
                options.topic(),
                options.replaySource(),
                partitions,
                options.restoreTimeout(),
                client);
    }

    /** Creates the topic when missing (any subtask may); the number of its partitions. */
    private static int ensureTopic(Admin admin, JournalOptions options) throws Exception {
        String topic = options.topic();
        NewTopic t =
                new NewTopic(topic, Optional.of(options.partitions()), Optional.empty())
                        .configs(
                                options.recording()
                                        // record: kept for backtests, one entry per request
                                        ? Map.of("cleanup.policy", "compact", "retention.ms", "-1")
                                        : Map.of(
                                                "cleanup.policy",
                                                "compact,delete",
                                                "retention.ms",
                                                Long.toString(options.retention().toMillis())));
        if (KafkaPreflight.createIfMissing(admin, t, ADMIN_TIMEOUT)) {
            LOG.info(
                    "created the LLM journal topic {} ({} partitions, {})",
                    topic,
                    options.partitions(),
                    options.recording() ? "kept without a time limit" : options.retention());
        }
        TopicDescription d =
                admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                        .get(topic);
        return d.partitions().size();
    }

    @Override
    public int partition(int keyGroup) {
        return keyGroup % partitions;
    }

    @Override
    public void append(int partition, JournalEntry entry) {
        byte[] key = entry.requestId().getBytes(StandardCharsets.UTF_8);
        producer.send(
                new ProducerRecord<>(topic, partition, key, entry.toJson()),
                (metadata, error) -> {
                    if (error == null) {
                        writes.incrementAndGet();
                        acknowledged.merge(partition, metadata.offset() + 1, Math::max);
                    } else {
                        long n = failures.incrementAndGet();
                        // One line per failure would flood the log while the broker is away.
                        if (Long.bitCount(n) == 1) {
                            LOG.warn(
                                    "LLM journal write failed ({} so far): {}; the decision goes"
                                            + " on, but a restore would ask the LLM again",
                                    n,
                                    error.toString());
                        }
                    }
                });
    }

    @Override
    public long position(int partition) {
        return acknowledged.getOrDefault(partition, -1L);
    }

    @Override
    public Map<Integer, Long> endOffsets(Collection<Integer> partitions) throws Exception {
        if (partitions.isEmpty()) {
            return Map.of();
        }
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            Map<Integer, Long> out = new HashMap<>();
            c.endOffsets(topicPartitions(partitions), ADMIN_TIMEOUT)
                    .forEach((tp, offset) -> out.put(tp.partition(), offset));
            return out;
        }
    }

    @Override
    public long replay(Map<Integer, Long> from, Consumer<JournalEntry> into) throws Exception {
        Map<TopicPartition, Long> start = new HashMap<>();
        from.forEach((p, offset) -> start.put(new TopicPartition(topic, p), offset));
        return read(start, into);
    }

    @Override
    public long readAll(Consumer<JournalEntry> into) throws Exception {
        Map<TopicPartition, Long> start = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            c.partitionsFor(replaySource, ADMIN_TIMEOUT)
                    .forEach(p -> start.put(new TopicPartition(replaySource, p.partition()), 0L));
        }
        if (start.isEmpty()) {
            LOG.warn("the journal {} to replay from has no partitions", replaySource);
        }
        return read(start, into);
    }

    /**
     * Reads each partition from its start offset to its end as of the call, within the restore
     * timeout; entries of another version, and unreadable ones, are skipped.
     */
    private long read(Map<TopicPartition, Long> start, Consumer<JournalEntry> into) {
        if (start.isEmpty()) {
            return 0;
        }
        long read = 0;
        long deadline = System.nanoTime() + restoreTimeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            Map<TopicPartition, Long> end = c.endOffsets(start.keySet(), ADMIN_TIMEOUT);
            Map<TopicPartition, Long> remaining = new HashMap<>();
            c.assign(start.keySet());
            for (Map.Entry<TopicPartition, Long> e : start.entrySet()) {
                if (e.getValue() < end.get(e.getKey())) {
                    c.seek(e.getKey(), e.getValue());
                    remaining.put(e.getKey(), end.get(e.getKey()));
                }
            }
            c.assign(remaining.keySet());
            while (!remaining.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    LOG.warn(
                            "read the LLM journal for {} without reaching its end on {}; going on"
                                    + " without the rest (those requests ask the LLM again)",
                            restoreTimeout,
                            remaining.keySet());
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    JournalEntry e = r.value() == null ? null : JournalEntry.fromJson(r.value());
                    if (e != null) {
                        into.accept(e);
                        read++;
                    }
                }
                remaining.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
                c.assign(remaining.keySet());
            }
        }
        return read;
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // An offset that retention or compaction removed reads on from the oldest one left.
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    private List<TopicPartition> topicPartitions(Collection<Integer> partitions) {
        List<TopicPartition> out = new ArrayList<>();
        partitions.forEach(p -> out.add(new TopicPartition(topic, p)));
        return out;
    }

    @Override
    public long writes() {
        return writes.get();
    }

    @Override
    public long writeFailures() {
        return failures.get();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
