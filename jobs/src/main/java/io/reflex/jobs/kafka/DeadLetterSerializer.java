package io.reflex.jobs.kafka;

import io.reflex.operators.model.ActionJson;
import io.reflex.operators.model.DeadLetter;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes a dead letter as JSON, keyed by the entity key when it is known. */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            DeadLetter dl, KafkaSinkContext context, Long timestamp) {
        byte[] key = dl.key() == null ? null : dl.key().getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(
                        topic, null, timestamp, key, ActionJson.bytes(ActionJson.toJson(dl)));
        record.headers().add("reflex-stage", dl.stage().getBytes(StandardCharsets.UTF_8));
        return record;
    }
}
