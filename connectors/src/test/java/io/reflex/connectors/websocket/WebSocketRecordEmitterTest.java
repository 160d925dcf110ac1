package io.reflex.connectors.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.connectors.websocket.reader.WebSocketRecordEmitter;
import io.reflex.connectors.websocket.split.WebSocketSplit;
import io.reflex.connectors.websocket.split.WebSocketSplitState;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/** Tests for {@link WebSocketRecordEmitter}: dedupe and gap counting by sequence. */
class WebSocketRecordEmitterTest {

    private static final class Texts implements WebSocketDeserializer<String> {
        @Override
        public void deserialize(WebSocketMessage message, Collector<String> out) {
            out.collect(message.text());
        }

        @Override
        public TypeInformation<String> getProducedType() {
            return Types.STRING;
        }
    }

    private static final class ListOutput implements SourceOutput<String> {
        final List<String> records = new ArrayList<>();

        @Override
        public void collect(String record) {
            records.add(record);
        }

        @Override
        public void collect(String record, long timestamp) {
            records.add(record);
        }

        @Override
        public void emitWatermark(Watermark watermark) {}

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}
    }

    @Test
    void dropsWhatWasEmittedAlreadyAndCountsGaps() throws Exception {
        SimpleCounter duplicates = new SimpleCounter();
        SimpleCounter gaps = new SimpleCounter();
        var emitter = new WebSocketRecordEmitter<>(new Texts(), duplicates, gaps);
        WebSocketSplitState state = new WebSocketSplitState(new WebSocketSplit("ws://x", 2));
        ListOutput out = new ListOutput();
        for (long seq : new long[] {1, 2, 3, 4, 4, 7, 5, 8}) {
            emitter.emitRecord(new WebSocketMessage("ws://x", "m" + seq, null, seq, 0), out, state);
        }
        emitter.emitRecord(new WebSocketMessage("ws://x", "no-seq", null, -1, 0), out, state);
        assertThat(out.records).containsExactly("m3", "m4", "m7", "m8", "no-seq");
        assertThat(duplicates.getCount()).isEqualTo(4); // 1, 2, the second 4, and 5
        assertThat(gaps.getCount()).isEqualTo(2); // 5 and 6 were skipped
        assertThat(state.toSplit().lastSeq()).isEqualTo(8);
    }
}
