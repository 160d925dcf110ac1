package io.reflex.connectors.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.connectors.websocket.reader.WebSocketSplitReader;
import io.reflex.connectors.websocket.split.WebSocketSplit;
import io.reflex.sandbox.FeedServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsAddition;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

/** Tests for {@link WebSocketSplitReader} on its own, against a {@link FeedServer}. */
class WebSocketSplitReaderTest {

    private static WebSocketSourceOptions options(String url, long maxMessages) {
        return new WebSocketSourceOptions(
                List.of(url),
                java.util.Map.of(),
                List.of(),
                null,
                url + "?since={lastSeq}",
                "/seq",
                null,
                null,
                8,
                Duration.ZERO,
                Duration.ZERO,
                Duration.ofMillis(10),
                Duration.ofMillis(50),
                Duration.ofSeconds(5),
                0,
                true,
                maxMessages,
                null);
    }

    @Test
    void resumesARestoredSplitAfterItsSequenceAndFinishesItInBoundedMode() throws Exception {
        try (FeedServer feed = FeedServer.start(FeedServer.Settings.defaults(), 2)) {
            WebSocketSplitReader reader =
                    new WebSocketSplitReader(
                            options(feed.url(), 50), new UnregisteredMetricsGroup());
            reader.handleSplitsChanges(
                    new SplitsAddition<>(List.of(new WebSocketSplit(feed.url(), 100))));
            List<Long> seqs = new ArrayList<>();
            boolean finished = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!finished && System.nanoTime() < deadline) {
                RecordsWithSplitIds<WebSocketMessage> batch = reader.fetch();
                while (batch.nextSplit() != null) {
                    WebSocketMessage m;
                    while ((m = batch.nextRecordFromSplit()) != null) {
                        seqs.add(m.seq());
                    }
                }
                finished = batch.finishedSplits().contains(feed.url());
                batch.recycle();
            }
            reader.close();
            assertThat(finished).isTrue();
            assertThat(seqs).hasSize(50).first().isEqualTo(101L);
            assertThat(seqs).last().isEqualTo(150L);
        }
    }
}
