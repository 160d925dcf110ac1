package io.reflex.operators.agent;

/**
 * Token buckets for requests per minute and tokens per minute, for one subtask. Prompt tokens are
 * taken before a call; completion tokens are taken when the answer reports them, so the token
 * bucket may go into debt, which later calls wait out. Used on the mailbox thread only.
 */
final class RateLimiter {
    private final Bucket requests;
    private final Bucket tokens;

    /** Limits per minute for this subtask; 0 means no limit. */
    RateLimiter(double requestsPerMinute, double tokensPerMinute, long now) {
        this.requests = requestsPerMinute > 0 ? new Bucket(requestsPerMinute, now) : null;
        this.tokens = tokensPerMinute > 0 ? new Bucket(tokensPerMinute, now) : null;
    }

    /**
     * Milliseconds to wait before a call with {@code promptTokens} may go out; 0 when it may go
     * now, in which case its request and prompt tokens are taken.
     */
    long acquire(long now, long promptTokens) {
        long wait = 0;
        if (requests != null) {
            wait = Math.max(wait, requests.waitFor(now, 1));
        }
        if (tokens != null) {
            wait = Math.max(wait, tokens.waitFor(now, promptTokens));
        }
        if (wait == 0) {
            if (requests != null) {
                requests.take(1);
            }
            if (tokens != null) {
                tokens.take(promptTokens);
            }
        }
        return wait;
    }

    /** Takes the completion tokens of an answer. */
    void completed(long now, long completionTokens) {
        if (tokens != null) {
            tokens.refill(now);
            tokens.take(completionTokens);
        }
    }

    private static final class Bucket {
        final double capacity;
        final double perMs;
        double level;
        long last;

        Bucket(double perMinute, long now) {
            this.capacity = perMinute;
            this.perMs = perMinute / 60_000.0;
            this.level = perMinute;
            this.last = now;
        }

        void refill(long now) {
            if (now > last) {
                level = Math.min(capacity, level + (now - last) * perMs);
                last = now;
            }
        }

        /** A request larger than the bucket waits for a full bucket rather than forever. */
        long waitFor(long now, double amount) {
            refill(now);
            double need = Math.min(amount, capacity);
            return level >= need ? 0 : (long) Math.ceil((need - level) / perMs);
        }

        void take(double amount) {
            level -= amount;
        }
    }
}
