package io.reflex.jobs.kafka;

import io.reflex.jobs.config.JobFile;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.DeadLetterJson;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every record a sink writes within what the producer and the broker accept, so that no
 * record's content can fail the job.
 *
 * <p>Inside a Kafka transaction, one record that the producer or broker refuses (too large, a
 * timestamp out of the topic's window, no key on a compacted topic) aborts the whole transaction,
 * and the job restarts into the same record. So the check has to happen before the send: the guard
 * knows the producer's {@code max.request.size} and {@code buffer.memory} and, read from the broker
 * when the sink opens, each topic's {@link TopicLimits}. A record that would be refused is replaced
 * by a minimal dead letter (the reason, the intended topic, the key, and the size and SHA-256 of
 * the value), counted in {@code reflex.sinkRecordsRefused}. A timestamp outside the topic's window
 * is replaced by the producer's clock, counted in {@code reflex.sinkTimestampsReplaced}: the event
 * time stays in the value.
 *
 * <p>What it cannot foresee still fails the transaction as in Flink: a broker outage, a topic whose
 * limits shrink while the job runs (the next start reads them again), authorization errors.
 */
public final class SinkRecordGuard implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SinkRecordGuard.class);

    private final String bootstrapServers;
    private final Map<String, String> properties;
    private final String deadLetterTopic;

    private transient Map<String, TopicLimits> limits;
    private transient int maxRequestBytes;
    private transient Counter refused;
    private transient Counter timestampsReplaced;

    public SinkRecordGuard(
            String bootstrapServers, Map<String, String> properties, String deadLetterTopic) {
        this.bootstrapServers = bootstrapServers;
        this.properties = Map.copyOf(properties);
        this.deadLetterTopic = deadLetterTopic;
    }

    /** Reads the limits of {@code topics} (and of the dead-letter topic) and registers metrics. */
    public void open(SerializationSchema.InitializationContext context, List<String> topics) {
        java.util.ArrayList<String> all = new java.util.ArrayList<>(topics);
        if (!all.contains(deadLetterTopic)) {
            all.add(deadLetterTopic);
        }
        open(context.getMetricGroup(), TopicLimits.read(bootstrapServers, properties, all));
    }

    /** Opens with known limits (tests). */
    void open(MetricGroup metrics, Map<String, TopicLimits> topicLimits) {
        this.limits = Map.copyOf(topicLimits);
        this.maxRequestBytes = JobFile.SinkSpec.maxRequestBytes(properties);
        MetricGroup group = metrics.addGroup("reflex");
        refused = group.counter("sinkRecordsRefused");
        timestampsReplaced = group.counter("sinkTimestampsReplaced");
        LOG.info("sink limits: max.request.size {} B, topics {}", maxRequestBytes, limits);
    }

    /**
     * {@code timestamp} if {@code topic} accepts it at {@code now} and keeps the record for at
     * least half its retention; else null (the producer's clock). The broker's time-based retention
     * counts from a record's timestamp, so an action stamped with the event time of a replayed old
     * event would otherwise be deleted at the broker's next retention check, minutes after its
     * commit.
     */
    public Long timestamp(String topic, Long timestamp, long now) {
        if (timestamp == null) {
            return null;
        }
        TopicLimits l = limits(topic);
        boolean ok =
                timestamp >= 0
                        && (l.logAppendTime()
                                || (now - timestamp <= l.maxTimestampBehindMs()
                                        && timestamp - now <= l.maxTimestampAheadMs()
                                        && (l.retentionMs() < 0
                                                || now - timestamp <= l.retentionMs() / 2)));
        if (ok) {
            return timestamp;
        }
        timestampsReplaced.inc();
        return null;
    }

    /**
     * {@code record} when the producer and broker will take it; otherwise a minimal dead letter for
     * it, addressed to the dead-letter topic.
     */
    public ProducerRecord<byte[], byte[]> admit(ProducerRecord<byte[], byte[]> record) {
        String why = refusal(record);
        if (why == null) {
            return record;
        }
        refused.inc();
        LOG.warn("refused a record for topic {}: {}", record.topic(), why);
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        DeadLetter dl =
                DeadLetter.of(
                        DeadLetter.STAGE_SINK,
                        "the broker would refuse this record for topic "
                                + record.topic()
                                + ": "
                                + why,
                        record.topic(),
                        -1,
                        -1,
                        key,
                        record.value());
        ProducerRecord<byte[], byte[]> minimal = deadLetterRecord(dl, 0);
        if (refusal(minimal) != null) {
            // Only a dead-letter topic configured below a few KiB gets here.
            minimal =
                    deadLetterRecord(
                            DeadLetter.of(
                                    dl.stage(), "refused", dl.source(), -1, -1, null, dl.raw()),
                            0);
        }
        return minimal;
    }

    /** A dead letter as a record for the dead-letter topic, with at most {@code maxRawBytes}. */
    public ProducerRecord<byte[], byte[]> deadLetterRecord(DeadLetter dl, int maxRawBytes) {
        byte[] value = DeadLetterJson.encode(dl, maxRawBytes);
        byte[] key = deadLetterKey(dl, value);
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(
                        deadLetterTopic, null, dl.at() < 0 ? null : dl.at(), key, value);
        record.headers().add("reflex-stage", dl.stage().getBytes(StandardCharsets.UTF_8));
        return record;
    }

    private byte[] deadLetterKey(DeadLetter dl, byte[] value) {
        if (dl.key() != null) {
            String k = dl.key();
            if (k.length() > DeadLetterJson.MAX_TEXT_CHARS) {
                k = k.substring(0, DeadLetterJson.MAX_TEXT_CHARS);
            }
            return k.getBytes(StandardCharsets.UTF_8);
        }
        // A compacted topic refuses records without a key.
        return limits(deadLetterTopic).compacted()
                ? DeadLetterJson.sha256(dl.raw()).getBytes(StandardCharsets.UTF_8)
                : null;
    }

    /** Why the producer or broker would refuse {@code record}, or null. */
    String refusal(ProducerRecord<byte[], byte[]> record) {
        TopicLimits l = limits(record.topic());
        Header[] headers = record.headers().toArray();
        int size =
                AbstractRecords.estimateSizeInBytesUpperBound(
                        RecordBatch.CURRENT_MAGIC_VALUE,
                        CompressionType.NONE,
                        record.key(),
                        record.value(),
                        headers);
        if (size > maxRequestBytes) {
            return "record of "
                    + size
                    + " bytes exceeds the producer's max.request.size of "
                    + maxRequestBytes;
        }
        if (size > l.maxBatchBytes()) {
            return "record of "
                    + size
                    + " bytes exceeds the topic's max.message.bytes of "
                    + l.maxBatchBytes();
        }
        if (l.compacted() && record.key() == null) {
            return "the topic is compacted and the record has no key";
        }
        return null;
    }

    private TopicLimits limits(String topic) {
        TopicLimits l = limits.get(topic);
        return l == null ? TopicLimits.BROKER_DEFAULTS : l;
    }
}
