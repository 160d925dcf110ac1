package io.reflex.jobs.kafka;

import io.reflex.operators.model.Action;
import io.reflex.operators.model.ActionJson;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes an action: the entity key as record key, the JSON value, and the action id, type and
 * schema version as headers.
 */
public final class ActionSerializer implements KafkaRecordSerializationSchema<Action> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public ActionSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            Action action, KafkaSinkContext context, Long timestamp) {
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(
                        topic,
                        null,
                        timestamp,
                        action.key().getBytes(StandardCharsets.UTF_8),
                        ActionJson.bytes(ActionJson.toJson(action)));
        record.headers()
                .add(ActionJson.HEADER_ACTION_ID, utf8(action.actionId()))
                .add(ActionJson.HEADER_ACTION_TYPE, utf8(action.type()))
                .add(
                        ActionJson.HEADER_SCHEMA_VERSION,
                        utf8(Integer.toString(ActionJson.SCHEMA_VERSION)));
        return record;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
