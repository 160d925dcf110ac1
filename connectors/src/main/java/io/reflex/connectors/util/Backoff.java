package io.reflex.connectors.util;

import java.io.Serializable;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter: the wait after the {@code n}-th consecutive failure is
 * drawn uniformly from {@code [0, min(max, initial * 2^(n-1))]}. The jitter spreads the retries of
 * many clients that failed together (a broker restart, an LLM outage), so that they do not return
 * together. Shared by the LLM retries and the WebSocket reconnects.
 */
public final class Backoff implements Serializable {
    private static final long serialVersionUID = 1L;

    private final long initialMs;
    private final long maxMs;

    /**
     * @param initial the ceiling of the first wait; at least 1 ms is used
     * @param max the largest ceiling; at least {@code initial} is used
     */
    public Backoff(Duration initial, Duration max) {
        this.initialMs = Math.max(1, initial.toMillis());
        this.maxMs = Math.max(initialMs, max.toMillis());
    }

    /** The largest wait after {@code failures} consecutive failures (at least 1). */
    public long ceilingMillis(int failures) {
        long ceiling = initialMs;
        for (int i = 1; i < failures && ceiling < maxMs; i++) {
            ceiling = ceiling > maxMs / 2 ? maxMs : ceiling << 1;
        }
        return Math.min(maxMs, ceiling);
    }

    /** A wait after {@code failures} consecutive failures: uniform in [0, ceiling]. */
    public long delayMillis(int failures) {
        return ThreadLocalRandom.current().nextLong(ceilingMillis(failures) + 1);
    }
}
