package io.reflex.sandbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a whole topic back, as a {@code read_committed} consumer sees it. */
public final class TopicReader {
    private TopicReader() {}

    /** Consumer settings for reading committed records only, without a group. */
    public static Properties readCommittedProperties(String bootstrapServers) {
        return readCommittedProperties(bootstrapServers, Map.of());
    }

    /**
     * The same, on top of {@code clientProperties} (a job file's Kafka client properties: its
     * security settings above all).
     */
    public static Properties readCommittedProperties(
            String bootstrapServers, Map<String, String> clientProperties) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return p;
    }

    /**
     * Every committed record of {@code topic}, up to its last stable offset at the time of the
     * call. Fails if that offset is not reached within {@code timeout}.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(
            String bootstrapServers, String topic, Duration timeout) {
        return readAll(bootstrapServers, Map.of(), topic, timeout);
    }

    /** The same, with {@code clientProperties} (security settings and the like). */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(
            String bootstrapServers,
            Map<String, String> clientProperties,
            String topic,
            Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(readCommittedProperties(bootstrapServers, clientProperties))) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic, timeout).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "did not reach the end of " + topic + " within " + timeout);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /**
     * The committed records of {@code topic} once it holds at least {@code records} of them, read
     * again every poll of {@link Await}; fails after {@code timeout} naming the topic.
     */
    public static List<ConsumerRecord<byte[], byte[]>> awaitAtLeast(
            String bootstrapServers, String topic, int records, Duration timeout) throws Exception {
        List<List<ConsumerRecord<byte[], byte[]>>> last = new ArrayList<>(List.of(List.of()));
        Await.until(
                records + " committed records in " + topic,
                timeout,
                () -> {
                    last.set(0, readAll(bootstrapServers, topic, Duration.ofSeconds(10)));
                    return last.get(0).size() >= records;
                });
        return last.get(0);
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
