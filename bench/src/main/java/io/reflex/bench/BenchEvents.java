package io.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The benchmarks' input: small JSON trades on many keys. A trade is significant when its {@code
 * note} is {@code halt}, which the {@code halt} rule of {@link BenchJobs} matches; every other
 * trade updates the detector's statistics without firing.
 */
final class BenchEvents {
    private BenchEvents() {}

    /** One trade as JSON. */
    static String event(long i, String key, long ts, boolean significant) {
        return "{\"id\":\"e"
                + i
                + "\",\"symbol\":\""
                + key
                + "\",\"price\":"
                + (100 + (i % 97) / 100.0)
                + ",\"volume\":"
                + (300 + i % 50)
                + ",\"ts\":"
                + ts
                + ",\"note\":\""
                + (significant ? "halt" : "ok")
                + "\"}";
    }

    /** Producer settings for bulk loading: large batches, the leader's acknowledgement. */
    static Properties producerProperties(String bootstrapServers, int lingerMs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(lingerMs));
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        return p;
    }

    /**
     * Writes {@code n} trades on {@code keys} random keys to {@code topic}, each significant with
     * probability {@code significantShare}; event time advances 1 ms per trade from {@code
     * startMillis}. Returns the number of significant trades.
     */
    static long produce(
            String bootstrapServers,
            String topic,
            long n,
            int keys,
            double significantShare,
            long startMillis,
            long seed) {
        Random random = new Random(seed);
        long significant = 0;
        try (Producer<byte[], byte[]> producer =
                new KafkaProducer<>(producerProperties(bootstrapServers, 20))) {
            for (long i = 0; i < n; i++) {
                String key = "K" + random.nextInt(keys);
                boolean s = random.nextDouble() < significantShare;
                significant += s ? 1 : 0;
                send(producer, topic, key, event(i, key, startMillis + i, s));
            }
            producer.flush();
        }
        return significant;
    }

    /**
     * Writes {@code perKey} trades to each of {@code keys} keys, key after key in turn, each
     * significant with probability {@code significantShare}. Returns the number of significant
     * trades.
     */
    static long produceEvenly(
            String bootstrapServers,
            String topic,
            int keys,
            int perKey,
            double significantShare,
            long seed) {
        Random random = new Random(seed);
        long significant = 0;
        long n = (long) keys * perKey;
        try (Producer<byte[], byte[]> producer =
                new KafkaProducer<>(producerProperties(bootstrapServers, 20))) {
            for (long i = 0; i < n; i++) {
                String key = "K" + (i % keys);
                boolean s = random.nextDouble() < significantShare;
                significant += s ? 1 : 0;
                send(producer, topic, key, event(i, key, 1_000_000L + i, s));
            }
            producer.flush();
        }
        return significant;
    }

    /**
     * Writes trades at {@code perSecond} until {@code stop} says so; each one's event time is the
     * wall clock when it is sent, so a consumer in this JVM can measure latency from it. Returns
     * the number sent.
     */
    static long producePaced(
            String bootstrapServers,
            String topic,
            int perSecond,
            int keys,
            double significantShare,
            long seed,
            BooleanSupplier stop) {
        Random random = new Random(seed);
        long sent = 0;
        long started = System.nanoTime();
        try (Producer<byte[], byte[]> producer =
                new KafkaProducer<>(producerProperties(bootstrapServers, 1))) {
            while (!stop.getAsBoolean()) {
                long due = started + sent * TimeUnit.SECONDS.toNanos(1) / perSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    // Paces the load generator's own thread, not Flink's.
                    LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(5)));
                    continue;
                }
                String key = "K" + random.nextInt(keys);
                boolean s = random.nextDouble() < significantShare;
                send(producer, topic, key, event(sent, key, System.currentTimeMillis(), s));
                sent++;
            }
            producer.flush();
        }
        return sent;
    }

    private static void send(Producer<byte[], byte[]> p, String topic, String key, String json) {
        p.send(
                new ProducerRecord<>(
                        topic,
                        key.getBytes(StandardCharsets.UTF_8),
                        json.getBytes(StandardCharsets.UTF_8)));
    }
}
