package io.reflex.connectors.websocket;

import io.reflex.connectors.websocket.enumerator.WebSocketEnumState;
import io.reflex.connectors.websocket.enumerator.WebSocketEnumStateSerializer;
import io.reflex.connectors.websocket.enumerator.WebSocketSplitEnumerator;
import io.reflex.connectors.websocket.reader.WebSocketRecordEmitter;
import io.reflex.connectors.websocket.reader.WebSocketSourceReader;
import io.reflex.connectors.websocket.reader.WebSocketSplitReader;
import io.reflex.connectors.websocket.split.WebSocketSplit;
import io.reflex.connectors.websocket.split.WebSocketSplitSerializer;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.MetricGroup;

/**
 * A FLIP-27 source for WebSocket feeds: one split per endpoint URL, spread over the readers, with
 * backpressure down to the socket, reconnection with backoff, and resume from a checkpointed
 * sequence number. Build it with {@link #builder()}.
 *
 * <p>Delivery: with a sequence pointer and a resume URL or subscribe template, the source resumes
 * after the last sequence it emitted and drops what it has already emitted, so every sequence
 * number is emitted once (as far as the feed can replay). Without a sequence, the source is
 * at-most-once: messages sent while it is disconnected or restoring are lost.
 */
public final class WebSocketSource<T>
        implements Source<T, WebSocketSplit, WebSocketEnumState>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    private final WebSocketSourceOptions options;
    private final WebSocketDeserializer<T> deserializer;

    WebSocketSource(WebSocketSourceOptions options, WebSocketDeserializer<T> deserializer) {
        this.options = options;
        this.deserializer = deserializer;
    }

    public static <T> WebSocketSourceBuilder<T> builder() {
        return new WebSocketSourceBuilder<>();
    }

    @Override
    public Boundedness getBoundedness() {
        return options.bounded() ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SourceReader<T, WebSocketSplit> createReader(SourceReaderContext context) {
        MetricGroup metrics = context.metricGroup();
        MetricGroup ws = metrics.addGroup("websocket");
        return new WebSocketSourceReader<>(
                () -> new WebSocketSplitReader(options, metrics),
                new WebSocketRecordEmitter<>(
                        deserializer, ws.counter("duplicatesDropped"), ws.counter("gaps")),
                new Configuration(),
                context);
    }

    @Override
    public SplitEnumerator<WebSocketSplit, WebSocketEnumState> createEnumerator(
            SplitEnumeratorContext<WebSocketSplit> context) {
        List<WebSocketSplit> splits =
                options.urls().stream()
                        .map(u -> new WebSocketSplit(u, -1))
                        .collect(Collectors.toList());
        return new WebSocketSplitEnumerator(context, splits, options.bounded());
    }

    @Override
    public SplitEnumerator<WebSocketSplit, WebSocketEnumState> restoreEnumerator(
            SplitEnumeratorContext<WebSocketSplit> context, WebSocketEnumState checkpoint) {
        return new WebSocketSplitEnumerator(context, checkpoint.unassigned(), options.bounded());
    }

    @Override
    public SimpleVersionedSerializer<WebSocketSplit> getSplitSerializer() {
        return WebSocketSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<WebSocketEnumState> getEnumeratorCheckpointSerializer() {
        return new WebSocketEnumStateSerializer();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return deserializer.getProducedType();
    }
}
