package io.reflex.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.jobs.config.JobFile;
import io.reflex.operators.model.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;

/** Tests for {@link SinkRecordGuard}. */
class SinkRecordGuardTest {
    private static final String DLQ = "dlq";

    private static SinkRecordGuard guard(Map<String, String> props, Map<String, TopicLimits> l) {
        SinkRecordGuard g = new SinkRecordGuard("127.0.0.1:1", props, DLQ);
        g.open(new UnregisteredMetricsGroup(), l);
        return g;
    }

    private static int size(ProducerRecord<byte[], byte[]> r) {
        return AbstractRecords.estimateSizeInBytesUpperBound(
                RecordBatch.CURRENT_MAGIC_VALUE,
                CompressionType.NONE,
                r.key(),
                r.value(),
                r.headers().toArray());
    }

    /**
     * Property: a dead letter written with the default bound is always smaller than the producer's
     * request limit, whatever the size of its raw record (up to 10 MB), reason and key.
     */
    @Test
    void aDeadLetterAlwaysFitsTheProducer() {
        SinkRecordGuard g = guard(Map.of(), Map.of(DLQ, TopicLimits.BROKER_DEFAULTS));
        int limit = JobFile.SinkSpec.maxRequestBytes(Map.of());
        Random random = new Random(42);
        for (int i = 0; i < 40; i++) {
            byte[] raw = new byte[i == 0 ? 10_000_000 : random.nextInt(10_000_001)];
            random.nextBytes(raw);
            String key = "k".repeat(random.nextInt(200_000));
            String reason = "\u0001".repeat(random.nextInt(100_000));
            DeadLetter dl = new DeadLetter("decode", reason, "t", 0, 0, key, raw, 1);
            ProducerRecord<byte[], byte[]> r =
                    g.admit(
                            g.deadLetterRecord(
                                    dl,
                                    io.reflex.jobs.config.JobFileOptions.DEAD_LETTER_MAX_BYTES
                                            .defaultValue()));
            assertThat(size(r)).isLessThan(limit);
            assertThat(g.refusal(r)).isNull();
        }
    }

    @Test
    void replacesARecordTheTopicWouldRefuseWithAMinimalDeadLetter() {
        SinkRecordGuard g =
                guard(
                        Map.of(),
                        Map.of(
                                "actions",
                                new TopicLimits(500, Long.MAX_VALUE, 3_600_000, false, false, -1),
                                DLQ,
                                TopicLimits.BROKER_DEFAULTS));
        ProducerRecord<byte[], byte[]> small =
                new ProducerRecord<>("actions", utf8("k"), utf8("{}"));
        assertThat(g.admit(small)).isSameAs(small);

        ProducerRecord<byte[], byte[]> big =
                new ProducerRecord<>("actions", utf8("k"), new byte[600]);
        ProducerRecord<byte[], byte[]> out = g.admit(big);
        assertThat(out.topic()).isEqualTo(DLQ);
        assertThat(new String(out.key(), StandardCharsets.UTF_8)).isEqualTo("k");
        assertThat(new String(out.value(), StandardCharsets.UTF_8))
                .contains("\"stage\":\"sink\"")
                .contains("exceeds the topic's max.message.bytes of 500")
                .contains("\"raw_bytes\":600")
                .contains("\"raw_base64\":\"\"");
    }

    @Test
    void respectsTheProducersRequestLimitAndCompactedTopics() {
        SinkRecordGuard g =
                guard(
                        Map.of("max.request.size", "1000"),
                        Map.of(DLQ, new TopicLimits(1 << 20, Long.MAX_VALUE, 0, false, true, -1)));
        assertThat(g.refusal(new ProducerRecord<>("a", utf8("k"), new byte[2000])))
                .contains("exceeds the producer's max.request.size of 1000");
        // On a compacted dead-letter topic a dead letter without a key gets one.
        DeadLetter keyless = new DeadLetter("decode", "r", "t", 0, 0, null, utf8("x"), 1);
        ProducerRecord<byte[], byte[]> r = g.deadLetterRecord(keyless, 100);
        assertThat(r.key()).isNotNull();
        assertThat(g.refusal(r)).isNull();
    }

    @Test
    void replacesTimestampsOutsideTheTopicsWindow() {
        SinkRecordGuard g =
                guard(
                        Map.of(),
                        Map.of("a", new TopicLimits(1 << 20, 1000, 1000, false, false, -1)));
        long now = 1_000_000;
        assertThat(g.timestamp("a", now - 999, now)).isEqualTo(now - 999);
        assertThat(g.timestamp("a", now - 1001, now)).isNull();
        assertThat(g.timestamp("a", now + 1001, now)).isNull();
        assertThat(g.timestamp("a", -5L, now)).isNull();
        assertThat(g.timestamp("a", null, now)).isNull();
    }

    /**
     * Time-based retention counts from a record's timestamp: an action of a replayed old event,
     * stamped with its event time, would be deleted at the broker's next retention check.
     */
    @Test
    void replacesTimestampsTheTopicsRetentionWouldSoonDelete() {
        long day = 86_400_000L;
        SinkRecordGuard g =
                guard(
                        Map.of(),
                        Map.of(
                                "kept-7d",
                                new TopicLimits(
                                        1 << 20, Long.MAX_VALUE, 3_600_000, false, false, 7 * day),
                                "forever",
                                new TopicLimits(
                                        1 << 20, Long.MAX_VALUE, 3_600_000, false, false, -1)));
        long now = 100 * day;
        assertThat(g.timestamp("kept-7d", now - 3 * day, now)).isEqualTo(now - 3 * day);
        assertThat(g.timestamp("kept-7d", now - 4 * day, now)).isNull();
        assertThat(g.timestamp("kept-7d", 6_000L, now)).as("an event of 1970").isNull();
        assertThat(g.timestamp("forever", 6_000L, now)).isEqualTo(6_000L);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
