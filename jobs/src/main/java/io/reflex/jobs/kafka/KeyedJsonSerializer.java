package io.reflex.jobs.kafka;

import io.reflex.operators.model.ActionJson;
import io.reflex.operators.model.KeyedJson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link KeyedJson} record (audit, state) to one topic: the entity key as record key, the
 * JSON as value, and its schema version as a header. A record the broker would refuse goes to the
 * dead-letter topic instead, in the same transaction ({@link SinkRecordGuard}).
 */
public final class KeyedJsonSerializer implements KafkaRecordSerializationSchema<KeyedJson> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final byte[] schemaVersion;
    private final SinkRecordGuard guard;

    public KeyedJsonSerializer(String topic, int schemaVersion, SinkRecordGuard guard) {
        this.topic = topic;
        this.schemaVersion = Integer.toString(schemaVersion).getBytes(StandardCharsets.UTF_8);
        this.guard = guard;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sink) {
        guard.open(context, List.of(topic));
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            KeyedJson r, KafkaSinkContext context, Long timestamp) {
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(
                        topic,
                        null,
                        guard.timestamp(topic, timestamp, System.currentTimeMillis()),
                        r.key().getBytes(StandardCharsets.UTF_8),
                        r.json());
        record.headers().add(ActionJson.HEADER_SCHEMA_VERSION, schemaVersion);
        return guard.admit(record);
    }
}
