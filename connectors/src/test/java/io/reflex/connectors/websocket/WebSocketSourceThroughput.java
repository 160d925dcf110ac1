package io.reflex.connectors.websocket;

import io.reflex.sandbox.FeedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * Measures messages per second through {@link WebSocketSource} into a discarding sink, against
 * {@link FeedServer} on loopback, and a plain JDK WebSocket client reading the same feed as the
 * baseline in the same run. A measurement tool, not a test: run its {@code main}.
 */
public final class WebSocketSourceThroughput {
    private WebSocketSourceThroughput() {}

    public static void main(String[] args) throws Exception {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 200_000;
        try (FeedServer feed = FeedServer.start(FeedServer.Settings.defaults(), 1)) {
            feed.message(n); // generate the messages before timing anything
            long baseline = baseline(feed.url(), n);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            env.fromSource(
                            WebSocketSource.<Long>builder()
                                    .url(feed.url())
                                    .sequencePointer("/seq")
                                    .maxMessages(n)
                                    .deserializer(new WebSocketSourceITCase.Sequences())
                                    .build(),
                            WatermarkStrategy.noWatermarks(),
                            "websocket")
                    .sinkTo(new DiscardingSink<>());
            long t = System.nanoTime();
            env.execute("throughput");
            long source = System.nanoTime() - t;
            System.out.printf(
                    "messages=%d  plain JDK client: %.0f msg/s  WebSocketSource into a"
                            + " discarding sink (job incl. start-up): %.0f msg/s  ratio %.2f%n",
                    n, n / (baseline / 1e9), n / (source / 1e9), (double) baseline / source);
        }
    }

    private static long baseline(String url, long n) throws Exception {
        AtomicLong count = new AtomicLong();
        CompletableFuture<Void> done = new CompletableFuture<>();
        long t = System.nanoTime();
        WebSocket ws =
                HttpClient.newHttpClient()
                        .newWebSocketBuilder()
                        .buildAsync(
                                URI.create(url),
                                new WebSocket.Listener() {
                                    @Override
                                    public CompletionStage<?> onText(
                                            WebSocket w, CharSequence d, boolean last) {
                                        if (last && count.incrementAndGet() >= n) {
                                            done.complete(null);
                                        }
                                        w.request(1);
                                        return null;
                                    }
                                })
                        .join();
        done.join();
        long elapsed = System.nanoTime() - t;
        ws.abort();
        return elapsed;
    }
}
