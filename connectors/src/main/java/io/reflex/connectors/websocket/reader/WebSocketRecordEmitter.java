package io.reflex.connectors.websocket.reader;

import io.reflex.connectors.websocket.WebSocketDeserializer;
import io.reflex.connectors.websocket.WebSocketMessage;
import io.reflex.connectors.websocket.split.WebSocketSplitState;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.connector.base.source.reader.RecordEmitter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;

/**
 * Emits the records of a message and advances the split's sequence. A message at or below the last
 * sequence already emitted (a resumed feed's overlap) is dropped; a jump past the next sequence is
 * counted as a gap. A message without a sequence number is counted in the state, so that a resumed
 * feed's copy of it can be recognised (see {@link WebSocketSplitState#unsequencedAfter()}).
 */
public final class WebSocketRecordEmitter<T>
        implements RecordEmitter<WebSocketMessage, T, WebSocketSplitState> {
    private final WebSocketDeserializer<T> deserializer;
    private final Counter duplicates;
    private final Counter gaps;
    private final OutputCollector<T> collector = new OutputCollector<>();

    public WebSocketRecordEmitter(
            WebSocketDeserializer<T> deserializer, Counter duplicates, Counter gaps) {
        this.deserializer = deserializer;
        this.duplicates = duplicates;
        this.gaps = gaps;
    }

    @Override
    public void emitRecord(
            WebSocketMessage message, SourceOutput<T> output, WebSocketSplitState state)
            throws Exception {
        long seq = message.seq();
        if (seq >= 0) {
            if (seq <= state.lastSeq()) {
                duplicates.inc();
                return;
            }
            if (state.lastSeq() >= 0 && seq > state.lastSeq() + 1) {
                gaps.inc(seq - state.lastSeq() - 1);
            }
            state.setLastSeq(seq);
        } else {
            state.addUnsequenced();
        }
        collector.output = output;
        deserializer.deserialize(message, collector);
    }

    private static final class OutputCollector<T> implements Collector<T> {
        SourceOutput<T> output;

        @Override
        public void collect(T record) {
            output.collect(record);
        }

        @Override
        public void close() {}
    }
}
