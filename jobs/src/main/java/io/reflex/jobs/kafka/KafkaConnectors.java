package io.reflex.jobs.kafka;

import io.reflex.jobs.SourceDecoding;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.websocket.WebSocketConnectors;
import io.reflex.operators.decode.Decoded;
import io.reflex.operators.decode.EventDecoder;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.AuditJson;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.KeyedJson;
import io.reflex.operators.state.StateJson;
import java.util.List;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** Builds the job's Kafka sources and sinks from its job file. */
public final class KafkaConnectors {
    private KafkaConnectors() {}

    /** The uid of the source named {@code name}. Never change it: savepoints map state by it. */
    public static String sourceUid(String name) {
        return "source-kafka-" + name;
    }

    public static final String ACTIONS_SINK_UID = "sink-actions";
    public static final String DEAD_LETTER_SINK_UID = "sink-dead-letters";
    public static final String AUDIT_SINK_UID = "sink-audit";
    public static final String STATE_SINK_UID = "sink-state";

    /**
     * All sources of the job file (Kafka and WebSocket), decoded, with watermarks, as one stream.
     */
    public static DataStream<Decoded> sources(StreamExecutionEnvironment env, JobFile job) {
        DataStream<Decoded> all = null;
        for (JobFile.WebSocketSourceSpec spec : job.webSocketSources()) {
            DataStream<Decoded> one =
                    WebSocketConnectors.stream(env, spec, job.detector().fields());
            all = all == null ? one : all.union(one);
        }
        for (JobFile.KafkaSourceSpec spec : job.sources()) {
            DataStream<Decoded> one =
                    env.fromSource(
                                    source(spec, job.detector().fields()),
                                    watermarks(spec),
                                    "Kafka: " + spec.name())
                            .uid(sourceUid(spec.name()));
            all = all == null ? one : all.union(one);
        }
        return all;
    }

    /** The Kafka source for one spec, reading {@code fields} (the rules' fields) into events. */
    public static KafkaSource<Decoded> source(JobFile.KafkaSourceSpec spec, List<String> fields) {
        EventDecoder decoder = new EventDecoder(spec.decoding(), fields);
        KafkaSourceBuilder<Decoded> b =
                KafkaSource.<Decoded>builder()
                        .setBootstrapServers(spec.bootstrapServers())
                        .setTopics(spec.topics())
                        .setGroupId(spec.groupId())
                        .setDeserializer(new DecodingDeserializer(spec.name(), decoder));
        Properties props = new Properties();
        props.putAll(spec.properties());
        b.setProperties(props);
        if (spec.startAtMs() >= 0) {
            b.setStartingOffsets(OffsetsInitializer.timestamp(spec.startAtMs()));
        } else {
            startingOffsets(b, spec.startingOffsets());
        }
        if (spec.bounded()) {
            b.setBounded(
                    spec.stopAtMs() >= 0
                            ? OffsetsInitializer.timestamp(spec.stopAtMs())
                            : OffsetsInitializer.latest());
        }
        return b.build();
    }

    private static void startingOffsets(KafkaSourceBuilder<Decoded> b, String startingOffsets) {
        switch (startingOffsets) {
            case "earliest":
                b.setStartingOffsets(OffsetsInitializer.earliest());
                break;
            case "latest":
                b.setStartingOffsets(OffsetsInitializer.latest());
                break;
            default:
                b.setStartingOffsets(
                        OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST));
        }
    }

    /** Event time from the decoded payload, bounded out-of-orderness and idleness. */
    public static WatermarkStrategy<Decoded> watermarks(JobFile.KafkaSourceSpec spec) {
        return SourceDecoding.watermarks(spec.maxOutOfOrderness(), spec.idleTimeout());
    }

    /**
     * The actions sink: one transactional producer per subtask for every action topic, so the
     * routed topics are committed together on each checkpoint.
     */
    public static KafkaSink<Action> actionsSink(String jobName, JobFile.SinkSpec spec) {
        return sink(jobName + "-actions", spec, new ActionSerializer(spec, guard(spec)));
    }

    /** The dead-letter sink. */
    public static KafkaSink<DeadLetter> deadLetterSink(String jobName, JobFile.SinkSpec spec) {
        return sink(
                jobName + "-dlq",
                spec,
                new DeadLetterSerializer(
                        spec.deadLetterTopic(), spec.deadLetterMaxBytes(), guard(spec)));
    }

    /** The audit sink, or null when {@code sinks.audit-topic} is off. */
    public static KafkaSink<KeyedJson> auditSink(String jobName, JobFile.SinkSpec spec) {
        return keyedJsonSink(jobName + "-audit", spec, spec.auditTopic(), AuditJson.SCHEMA_VERSION);
    }

    /** The state changelog's sink, or null when {@code sinks.state-topic} is off. */
    public static KafkaSink<KeyedJson> stateSink(String jobName, JobFile.SinkSpec spec) {
        return keyedJsonSink(jobName + "-state", spec, spec.stateTopic(), StateJson.SCHEMA_VERSION);
    }

    private static KafkaSink<KeyedJson> keyedJsonSink(
            String transactionalIdPrefix, JobFile.SinkSpec spec, String topic, int schemaVersion) {
        return topic == null
                ? null
                : sink(
                        transactionalIdPrefix,
                        spec,
                        new KeyedJsonSerializer(topic, schemaVersion, guard(spec)));
    }

    private static SinkRecordGuard guard(JobFile.SinkSpec spec) {
        return new SinkRecordGuard(
                spec.bootstrapServers(), spec.properties(), spec.deadLetterTopic());
    }

    private static <T> KafkaSink<T> sink(
            String transactionalIdPrefix,
            JobFile.SinkSpec spec,
            KafkaRecordSerializationSchema<T> serializer) {
        Properties props = new Properties();
        props.putAll(spec.properties());
        props.setProperty(
                "transaction.timeout.ms", Long.toString(spec.transactionTimeout().toMillis()));
        return KafkaSink.<T>builder()
                .setBootstrapServers(spec.bootstrapServers())
                .setKafkaProducerConfig(props)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(
                        spec.exactlyOnce()
                                ? DeliveryGuarantee.EXACTLY_ONCE
                                : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .build();
    }
}
