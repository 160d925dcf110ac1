package io.reflex.jobs.kafka;

import io.reflex.jobs.config.JobFile;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.ActionJson;
import io.reflex.operators.model.Json;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes an action to its type's topic ({@code actions[].topic}, else the actions topic): the
 * entity key as record key, the JSON value, and the action id, type and schema version as headers.
 * The record timestamp is the trigger's event time when the topic accepts it. An action the broker
 * would refuse goes to the dead-letter topic instead, as a minimal dead letter in the same
 * transaction ({@link SinkRecordGuard}).
 */
public final class ActionSerializer implements KafkaRecordSerializationSchema<Action> {
    private static final long serialVersionUID = 1L;

    private final JobFile.SinkSpec sinks;
    private final SinkRecordGuard guard;

    /** Writes each action to its type's topic in {@code sinks}. */
    public ActionSerializer(JobFile.SinkSpec sinks, SinkRecordGuard guard) {
        this.sinks = sinks;
        this.guard = guard;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sink) {
        guard.open(context, sinks.actionTopics());
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            Action action, KafkaSinkContext context, Long timestamp) {
        String topic = sinks.actionTopic(action.type());
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(
                        topic,
                        null,
                        guard.timestamp(topic, timestamp, System.currentTimeMillis()),
                        action.key().getBytes(StandardCharsets.UTF_8),
                        Json.bytes(ActionJson.toJson(action)));
        record.headers()
                .add(ActionJson.HEADER_ACTION_ID, utf8(action.actionId()))
                .add(ActionJson.HEADER_ACTION_TYPE, utf8(action.type()))
                .add(
                        ActionJson.HEADER_SCHEMA_VERSION,
                        utf8(Integer.toString(ActionJson.SCHEMA_VERSION)));
        return guard.admit(record);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
