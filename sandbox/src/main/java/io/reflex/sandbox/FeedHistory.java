package io.reflex.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages a {@link FeedServer} sends, by sequence number: the same for a seed, settings and
 * start time wherever they are computed, so a test can tell what a feed in another process sent.
 */
public final class FeedHistory {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final FeedServer.Settings settings;
    private final FeedGenerator generator;
    private final List<String> history = new ArrayList<>();

    /**
     * The history of a feed with {@code settings} and {@code seed} started at {@code startMillis}.
     */
    public FeedHistory(FeedServer.Settings settings, long seed, long startMillis) {
        this.settings = settings;
        FeedGenerator.Options d = FeedGenerator.Options.defaults(startMillis);
        // Event time advances at the paced rate, so a live feed looks live.
        this.generator =
                new FeedGenerator(
                        new FeedGenerator.Options(
                                d.symbols(),
                                seed,
                                d.startMillis(),
                                settings.messagesPerSecond() > 0
                                        ? 1000L / settings.messagesPerSecond()
                                        : d.stepMillis(),
                                settings.newsOnly() ? 1.0 : 0.3,
                                d.alarmingProbability(),
                                d.jumpProbability(),
                                d.spikeProbability()));
    }

    /**
     * Message {@code seq} (from 1): JSON with its {@code seq} and {@code channel}, or, every {@code
     * malformedEvery}-th, text that is not JSON.
     */
    public synchronized String message(long seq) {
        while (history.size() < seq) {
            long n = history.size() + 1;
            if (settings.malformedEvery() > 0 && n % settings.malformedEvery() == 0) {
                history.add(malformed(n));
                continue;
            }
            FeedGenerator.FeedRecord r = generator.next();
            try {
                ObjectNode node = (ObjectNode) MAPPER.readTree(r.json());
                node.put("seq", n);
                node.put("channel", r.topic().equals(FeedGenerator.NEWS_TOPIC) ? "news" : "trades");
                history.add(node.toString());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return history.get((int) seq - 1);
    }

    /** The malformed message sent as {@code seq}. */
    public static String malformed(long seq) {
        return "{not json, seq " + seq;
    }
}
