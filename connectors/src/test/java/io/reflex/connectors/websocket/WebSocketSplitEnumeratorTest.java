package io.reflex.connectors.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.connectors.websocket.enumerator.WebSocketSplitEnumerator;
import io.reflex.connectors.websocket.split.WebSocketSplit;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.api.connector.source.mocks.MockSplitEnumeratorContext;
import org.junit.jupiter.api.Test;

/** Tests for {@link WebSocketSplitEnumerator} on Flink's mock enumerator context. */
class WebSocketSplitEnumeratorTest {

    private static List<WebSocketSplit> splits(int n) {
        List<WebSocketSplit> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new WebSocketSplit("ws://feed/" + i, -1));
        }
        return out;
    }

    private static List<WebSocketSplit> assigned(
            MockSplitEnumeratorContext<WebSocketSplit> ctx, int reader) {
        List<WebSocketSplit> out = new ArrayList<>();
        for (SplitsAssignment<WebSocketSplit> a : ctx.getSplitsAssignmentSequence()) {
            out.addAll(a.assignment().getOrDefault(reader, List.of()));
        }
        return out;
    }

    @Test
    void spreadsEverySplitOnceOverTheReadersAsTheyRegister() throws Exception {
        try (var ctx = new MockSplitEnumeratorContext<WebSocketSplit>(2)) {
            var enumerator = new WebSocketSplitEnumerator(ctx, splits(6), false);
            ctx.registerReader(new ReaderInfo(0, "h"));
            enumerator.addReader(0);
            List<WebSocketSplit> first = assigned(ctx, 0);
            assertThat(enumerator.snapshotState(1).unassigned()).hasSize(6 - first.size());
            ctx.registerReader(new ReaderInfo(1, "h"));
            enumerator.addReader(1);
            List<WebSocketSplit> all = new ArrayList<>(assigned(ctx, 0));
            all.addAll(assigned(ctx, 1));
            assertThat(all).containsExactlyInAnyOrderElementsOf(splits(6));
            assertThat(enumerator.snapshotState(2).unassigned()).isEmpty();
            assertThat(ctx.hasNoMoreSplits(0)).as("unbounded: more may come back").isFalse();
        }
    }

    @Test
    void splitsHandedBackGoToTheirReaderAgainAndBoundedReadersAreTold() throws Exception {
        try (var ctx = new MockSplitEnumeratorContext<WebSocketSplit>(1)) {
            var enumerator = new WebSocketSplitEnumerator(ctx, splits(2), true);
            ctx.registerReader(new ReaderInfo(0, "h"));
            enumerator.addReader(0);
            assertThat(assigned(ctx, 0)).hasSize(2);
            assertThat(ctx.hasNoMoreSplits(0)).isTrue();
            WebSocketSplit back = new WebSocketSplit("ws://feed/0", 41);
            enumerator.addSplitsBack(List.of(back), 0);
            assertThat(assigned(ctx, 0)).hasSize(3).endsWith(back);
        }
    }
}
