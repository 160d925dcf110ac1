package io.reflex.connectors.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.connectors.websocket.reader.WebSocketSplitReader;
import io.reflex.connectors.websocket.split.WebSocketSplit;
import io.reflex.sandbox.FeedHistory;
import io.reflex.sandbox.FeedServer;
import java.nio.charset.StandardCharsets;
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
        return options(
                url, maxMessages, 8, WebSocketSourceOptions.MAX_MESSAGE_BYTES.defaultValue());
    }

    private static WebSocketSourceOptions options(
            String url, long maxMessages, int capacity, int maxMessageBytes) {
        return new WebSocketSourceOptions(
                List.of(url),
                java.util.Map.of(),
                List.of(),
                null,
                url + "?since={lastSeq}",
                "/seq",
                null,
                null,
                capacity,
                maxMessageBytes,
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

    /**
     * Every third message is not JSON, so it has no sequence number, and the feed drops every
     * connection every 100 ms: a resumed feed sends the unnumbered messages after the last number
     * again, and the reader hands each on once. A restored split that took one unnumbered message
     * after its last number drops the feed's copy of it.
     */
    @Test
    void handsOnEachUnnumberedMessageOnceAcrossResumesAndRestores() throws Exception {
        try (FeedServer feed =
                FeedServer.start(new FeedServer.Settings(500, 100, null, 3, false), 5)) {
            // An idle timeout: a connection the feed drops in the middle of its handshake can
            // look open to the client and stay silent.
            WebSocketSourceOptions o = options(feed.url(), 300);
            WebSocketSplitReader reader =
                    new WebSocketSplitReader(
                            new WebSocketSourceOptions(
                                    o.urls(),
                                    o.headers(),
                                    o.subprotocols(),
                                    o.subscribeTemplate(),
                                    o.resumeUrlTemplate(),
                                    o.sequencePointer(),
                                    o.trustStore(),
                                    o.trustStorePassword(),
                                    o.queueCapacity(),
                                    o.maxMessageBytes(),
                                    o.pingInterval(),
                                    Duration.ofSeconds(1),
                                    o.initialBackoff(),
                                    o.maxBackoff(),
                                    o.stablePeriod(),
                                    o.maxReconnectAttempts(),
                                    o.failWhenExhausted(),
                                    o.maxMessages(),
                                    o.endMarker()),
                            new UnregisteredMetricsGroup());
            // Restored after message 2, having taken message 3 (unnumbered) too.
            reader.handleSplitsChanges(
                    new SplitsAddition<>(List.of(new WebSocketSplit(feed.url(), 2, 1))));
            List<String> unnumbered = new ArrayList<>();
            List<Long> numbered = new ArrayList<>();
            boolean finished = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!finished && System.nanoTime() < deadline) {
                RecordsWithSplitIds<WebSocketMessage> batch = reader.fetch();
                while (batch.nextSplit() != null) {
                    WebSocketMessage m;
                    while ((m = batch.nextRecordFromSplit()) != null) {
                        if (m.seq() < 0) {
                            unnumbered.add(m.text());
                        } else if (numbered.isEmpty()
                                || m.seq() > numbered.get(numbered.size() - 1)) {
                            numbered.add(m.seq());
                        }
                    }
                }
                finished = batch.finishedSplits().contains(feed.url());
                batch.recycle();
            }
            reader.close();
            assertThat(finished).isTrue();
            assertThat(feed.connections()).as("the feed dropped the reader").isGreaterThan(2);
            assertThat(unnumbered).as("each unnumbered message once").doesNotHaveDuplicates();
            assertThat(unnumbered.get(0)).isEqualTo(FeedHistory.malformed(6));
            long last = numbered.get(numbered.size() - 1);
            List<String> expected = new ArrayList<>();
            for (long seq = 6; seq < last; seq += 3) {
                expected.add(FeedHistory.malformed(seq));
            }
            assertThat(unnumbered).startsWith(expected.toArray(new String[0]));
        }
    }

    /** Every message of one fetch. */
    private static List<WebSocketMessage> fetchAll(WebSocketSplitReader reader) throws Exception {
        List<WebSocketMessage> out = new ArrayList<>();
        RecordsWithSplitIds<WebSocketMessage> batch = reader.fetch();
        while (batch.nextSplit() != null) {
            WebSocketMessage m;
            while ((m = batch.nextRecordFromSplit()) != null) {
                out.add(m);
            }
        }
        batch.recycle();
        return out;
    }

    /**
     * Three splits join one by one while the feed drops every connection every 250 ms: however the
     * permits are re-divided and however often a socket is replaced with messages still queued, the
     * reader never holds more than the capacity.
     */
    @Test
    void thePermitsOfAllSplitsNeverExceedTheQueueCapacityAcrossReconnects() throws Exception {
        int capacity = 8;
        try (FeedServer feed =
                FeedServer.start(new FeedServer.Settings(0, 250, null, 0, false), 5)) {
            List<String> urls = List.of(feed.url() + "?a", feed.url() + "?b", feed.url() + "?c");
            WebSocketSplitReader reader =
                    new WebSocketSplitReader(
                            options(feed.url(), 0, capacity, 1 << 20),
                            new UnregisteredMetricsGroup());
            java.util.Set<String> seen = new java.util.HashSet<>();
            int handedOn = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            for (String url : urls) {
                // A split joins while the others already hold their permits.
                reader.handleSplitsChanges(
                        new SplitsAddition<>(List.of(new WebSocketSplit(url, -1))));
                int target = handedOn + 1_000;
                // The splits that hold permits already can deliver all 1,000 before the new one
                // has connected (seen once in CI): read on until it has delivered too.
                while ((handedOn < target || !seen.contains(url)) && System.nanoTime() < deadline) {
                    assertThat(reader.outstandingPermits()).isLessThanOrEqualTo(capacity);
                    assertThat(reader.queued()).isLessThanOrEqualTo(capacity);
                    for (WebSocketMessage m : fetchAll(reader)) {
                        seen.add(m.url());
                        handedOn++;
                    }
                }
            }
            // On a fast machine 3,000 messages can arrive before the first drop: read on, still
            // checking the bound, until the feed has replaced sockets a few times.
            while (feed.connections() < urls.size() + 3 && System.nanoTime() < deadline) {
                assertThat(reader.outstandingPermits()).isLessThanOrEqualTo(capacity);
                assertThat(reader.queued()).isLessThanOrEqualTo(capacity);
                handedOn += fetchAll(reader).size();
            }
            reader.close();
            assertThat(handedOn).isGreaterThanOrEqualTo(3_000);
            assertThat(seen).as("every split was read").containsExactlyInAnyOrderElementsOf(urls);
            assertThat(feed.connections()).as("sockets were replaced").isGreaterThan(urls.size());
        }
    }

    /**
     * A reader whose job stops reading fills up to its capacity over all its splits, and no
     * further: the shares add up to the capacity even when it does not divide evenly.
     */
    @Test
    void aReaderThatIsNotFetchedHoldsExactlyTheQueueCapacityOverItsSplits() throws Exception {
        int capacity = 8;
        try (FeedServer feed = FeedServer.start(FeedServer.Settings.defaults(), 7)) {
            List<WebSocketSplit> splits =
                    List.of(
                            new WebSocketSplit(feed.url() + "?a", -1),
                            new WebSocketSplit(feed.url() + "?b", -1),
                            new WebSocketSplit(feed.url() + "?c", -1));
            WebSocketSplitReader reader =
                    new WebSocketSplitReader(
                            options(feed.url(), 0, capacity, 1 << 20),
                            new UnregisteredMetricsGroup());
            reader.handleSplitsChanges(new SplitsAddition<>(splits));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (reader.queued() < capacity && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // poll
                assertThat(reader.queued()).isLessThanOrEqualTo(capacity);
            }
            assertThat(reader.queued()).isEqualTo(capacity);
            assertThat(reader.outstandingPermits()).isEqualTo(capacity);
            assertThat(fetchAll(reader)).hasSize(capacity);
            reader.close();
        }
    }

    /** A hostile message of each kind, between good ones, on a feed read with resume. */
    @Test
    void handsOnHostileFramesWithAReasonAndSkipsAMessageThatBreaksTheConnection() throws Exception {
        try (FeedServer feed = FeedServer.start(FeedServer.Settings.defaults(), 6)) {
            byte[] binary = {(byte) 0xFF, (byte) 0xFE, 0, 1};
            feed.inject(3, FeedServer.Frame.BINARY, binary);
            // Two bytes a character, so a cut at 1000 bytes must count bytes, not characters.
            String big = "{\"seq\":5,\"pad\":\"" + "\u00e9".repeat(5000) + "\"}";
            feed.inject(5, FeedServer.Frame.TEXT, big.getBytes(StandardCharsets.UTF_8));
            feed.inject(
                    7,
                    FeedServer.Frame.RAW_TEXT,
                    new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
            WebSocketSplitReader reader =
                    new WebSocketSplitReader(
                            options(feed.url(), 0, 8, 1000), new UnregisteredMetricsGroup());
            reader.handleSplitsChanges(
                    new SplitsAddition<>(List.of(new WebSocketSplit(feed.url(), 0))));
            List<WebSocketMessage> all = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (all.stream().noneMatch(m -> m.seq() >= 12) && System.nanoTime() < deadline) {
                all.addAll(fetchAll(reader));
            }
            reader.close();
            List<Long> good =
                    all.stream()
                            .filter(m -> m.error() == null && m.seq() > 0)
                            .map(WebSocketMessage::seq)
                            .toList();
            assertThat(good.subList(0, 9)).containsExactly(1L, 2L, 4L, 6L, 8L, 9L, 10L, 11L, 12L);
            assertThat(all)
                    .filteredOn(m -> m.bytes() != null)
                    .singleElement()
                    .satisfies(m -> assertThat(m.bytes()).isEqualTo(binary));
            assertThat(all)
                    .filteredOn(m -> m.error() != null && m.text() != null)
                    .singleElement()
                    .satisfies(
                            m -> {
                                assertThat(m.error())
                                        .isEqualTo(
                                                "message of "
                                                        + big.getBytes(StandardCharsets.UTF_8)
                                                                .length
                                                        + " bytes exceeds the limit of 1000"
                                                        + " (max-message-bytes)");
                                assertThat(big).startsWith(m.text());
                                assertThat(m.text().getBytes(StandardCharsets.UTF_8).length)
                                        .isBetween(999, 1000);
                                assertThat(m.seq()).as("read from the kept part").isEqualTo(5L);
                            });
            assertThat(all)
                    .filteredOn(m -> m.error() != null && m.text() == null)
                    .singleElement()
                    .satisfies(
                            m -> {
                                assertThat(m.error())
                                        .startsWith(
                                                "the feed sent a frame the WebSocket client"
                                                        + " cannot read")
                                        .contains("Invalid UTF-8")
                                        .endsWith(
                                                "after sequence 6, twice in a row; skipped"
                                                        + " sequence 7");
                                assertThat(m.seq()).as("stands in for 7").isEqualTo(7L);
                            });
        }
    }
}
