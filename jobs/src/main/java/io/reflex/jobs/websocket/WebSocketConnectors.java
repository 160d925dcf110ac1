package io.reflex.jobs.websocket;

import io.reflex.connectors.websocket.WebSocketSource;
import io.reflex.connectors.websocket.WebSocketSourceBuilder;
import io.reflex.jobs.SourceDecoding;
import io.reflex.jobs.config.JobFile;
import io.reflex.operators.decode.Decoded;
import io.reflex.operators.decode.EventDecoder;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Builds the job's WebSocket sources from its job file. */
public final class WebSocketConnectors {
    private WebSocketConnectors() {}

    /** The uid of the source named {@code name}. Never change it: savepoints map state by it. */
    public static String sourceUid(String name) {
        return "source-websocket-" + name;
    }

    /** One WebSocket source of the job file, decoded, with watermarks. */
    public static DataStream<Decoded> stream(
            StreamExecutionEnvironment env, JobFile.WebSocketSourceSpec spec, List<String> fields) {
        return env.fromSource(source(spec, fields), watermarks(spec), "WebSocket: " + spec.name())
                .uid(sourceUid(spec.name()));
    }

    /**
     * The WebSocket source for one spec, reading {@code fields} (the rules' fields) into events.
     */
    public static WebSocketSource<Decoded> source(
            JobFile.WebSocketSourceSpec spec, List<String> fields) {
        EventDecoder decoder = new EventDecoder(spec.decoding(), fields);
        WebSocketSourceBuilder<Decoded> b =
                WebSocketSource.<Decoded>builder()
                        .urls(spec.urls())
                        .subscribeMessage(spec.subscribeMessage())
                        .resumeUrl(spec.resumeUrl())
                        .sequencePointer(spec.sequencePointer())
                        .pingInterval(spec.pingInterval())
                        .idleTimeout(spec.idleTimeout())
                        .maxMessageBytes(spec.maxMessageBytes())
                        .backoff(spec.initialBackoff(), spec.maxBackoff(), spec.stableAfter())
                        .maxReconnectAttempts(spec.maxAttempts(), spec.failWhenExhausted())
                        .deserializer(new DecodingWebSocketDeserializer(spec.name(), decoder));
        spec.headers().forEach(b::header);
        spec.subprotocols().forEach(b::subprotocol);
        if (spec.trustStore() != null) {
            b.trustStore(spec.trustStore(), spec.trustStorePassword());
        }
        return b.build();
    }

    private static WatermarkStrategy<Decoded> watermarks(JobFile.WebSocketSourceSpec spec) {
        return SourceDecoding.watermarks(spec.maxOutOfOrderness(), spec.watermarkIdleTimeout());
    }
}
