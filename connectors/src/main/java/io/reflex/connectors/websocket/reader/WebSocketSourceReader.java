package io.reflex.connectors.websocket.reader;

import io.reflex.connectors.websocket.WebSocketMessage;
import io.reflex.connectors.websocket.split.WebSocketSplit;
import io.reflex.connectors.websocket.split.WebSocketSplitState;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.source.reader.RecordEmitter;
import org.apache.flink.connector.base.source.reader.SingleThreadMultiplexSourceReaderBase;
import org.apache.flink.connector.base.source.reader.splitreader.SplitReader;

/** The source reader: one fetcher thread runs a {@link WebSocketSplitReader} for its splits. */
public final class WebSocketSourceReader<T>
        extends SingleThreadMultiplexSourceReaderBase<
                WebSocketMessage, T, WebSocketSplit, WebSocketSplitState> {

    public WebSocketSourceReader(
            Supplier<SplitReader<WebSocketMessage, WebSocketSplit>> splitReader,
            RecordEmitter<WebSocketMessage, T, WebSocketSplitState> emitter,
            Configuration config,
            SourceReaderContext context) {
        super(splitReader, emitter, config, context);
    }

    @Override
    protected void onSplitFinished(Map<String, WebSocketSplitState> finished) {}

    @Override
    protected WebSocketSplitState initializedState(WebSocketSplit split) {
        return new WebSocketSplitState(split);
    }

    @Override
    protected WebSocketSplit toSplitType(String splitId, WebSocketSplitState state) {
        return state.toSplit();
    }
}
