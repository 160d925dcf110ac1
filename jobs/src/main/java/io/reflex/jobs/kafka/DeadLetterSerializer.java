package io.reflex.jobs.kafka;

import io.reflex.operators.model.DeadLetter;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a dead letter as JSON ({@link io.reflex.operators.model.DeadLetterJson}), keyed by the
 * entity key when it is known, with at most {@code maxRawBytes} of the raw record. One that the
 * broker would still refuse becomes a minimal dead letter ({@link SinkRecordGuard}).
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final int maxRawBytes;
    private final SinkRecordGuard guard;

    public DeadLetterSerializer(String topic, int maxRawBytes, SinkRecordGuard guard) {
        this.topic = topic;
        this.maxRawBytes = maxRawBytes;
        this.guard = guard;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sink) {
        guard.open(context, List.of(topic));
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            DeadLetter dl, KafkaSinkContext context, Long timestamp) {
        return guard.admit(guard.deadLetterRecord(dl, maxRawBytes));
    }
}
