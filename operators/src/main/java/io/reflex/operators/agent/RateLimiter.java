package io.reflex.operators.agent;

import io.reflex.operators.llm.RateLimits;

/**
 * Keeps one subtask to its part of the job's requests and tokens per minute. Used on the mailbox
 * thread only.
 *
 * <p>The quota is the provider's, shared by every subtask. Split evenly, a subtask whose keys are
 * hot waits while a cold one leaves its part unused. So each answer's {@code x-ratelimit-*} figures
 * ({@link RateLimits}) are taken as the quota's state: what remained when the provider counted that
 * request, which reflects what every subtask had spent. From the freshest of them, a subtask may
 * spend its 1/p part of what remained plus its 1/p part of the quota's refill since, less what it
 * has sent itself since that request. The parts of all subtasks add up to what the provider can
 * still accept, whatever each one's demand, so a hot subtask takes what a cold one leaves, and a
 * cold one still finds its part. The refill is capped where the quota is whole, as the reset time
 * tells.
 *
 * <p>Until the provider has sent its figures, or when they are older than a minute, each subtask
 * keeps to token buckets of 1/p of the limits, refilled continuously and holding a second's worth.
 * A 429 without figures reads as a quota spent when the provider counted that request.
 *
 * <p>A call costs what a provider counts when it admits it: its prompt tokens and the completion
 * bound ({@code llm.max-tokens}); the prompt's count is corrected by what the answer reports, so a
 * bucket may go into debt, which later calls wait out. With {@code shareByProvider} off, the
 * buckets are all there is.
 */
final class RateLimiter {
    /** Figures older than this are no longer the quota's state. */
    static final long SNAPSHOT_MAX_AGE_MS = 60_000;

    private final Dimension requests;
    private final Dimension tokens;
    private final long maxCompletionTokens;

    /** The request that {@link #acquire} let out last. */
    private Mark last = new Mark(0, 0, 0, 0, 0);

    /**
     * Prompt tokens the provider counts beyond the messages' own (the response schema, the tools,
     * the framing), learnt from the answers' usage.
     */
    private double promptOverhead;

    /**
     * @param requestsPerMinute the job's request limit; 0 for none
     * @param tokensPerMinute the job's token limit; 0 for none
     * @param parallelism the subtasks that share the limits
     * @param shareByProvider whether to follow the provider's quota figures where it sends them
     * @param maxCompletionTokens the requests' completion-token bound, which the provider counts
     *     against the quota when it admits a request
     */
    RateLimiter(
            long requestsPerMinute,
            long tokensPerMinute,
            int parallelism,
            boolean shareByProvider,
            long maxCompletionTokens,
            long now) {
        this.maxCompletionTokens = Math.max(0, maxCompletionTokens);
        this.requests =
                requestsPerMinute > 0
                        ? new Dimension(requestsPerMinute, parallelism, shareByProvider, now)
                        : null;
        this.tokens =
                tokensPerMinute > 0
                        ? new Dimension(tokensPerMinute, parallelism, shareByProvider, now)
                        : null;
    }

    /**
     * What a subtask had sent when a request went out, to read that request's answer against, and
     * what the request was taken to cost.
     */
    record Mark(
            long sequence,
            double requestsSent,
            double tokensSent,
            long promptEstimate,
            long tokenCost) {}

    /**
     * Milliseconds to wait before a call whose messages count {@code promptTokens} may go out; 0
     * when it may go now, in which case its request and tokens are taken. A call costs what the
     * provider counts when it admits it: its prompt, with what the answers showed the provider adds
     * to the messages, and the completion-token bound.
     */
    long acquire(long now, long promptTokens) {
        long tokenCost = promptTokens + Math.round(promptOverhead) + maxCompletionTokens;
        long wait = 0;
        if (requests != null) {
            wait = Math.max(wait, requests.waitFor(now, 1));
        }
        if (tokens != null) {
            wait = Math.max(wait, tokens.waitFor(now, tokenCost));
        }
        if (wait == 0) {
            if (requests != null) {
                requests.take(now, 1);
            }
            if (tokens != null) {
                tokens.take(now, tokenCost);
            }
            last =
                    new Mark(
                            last.sequence() + 1,
                            requests == null ? 0 : requests.sent,
                            tokens == null ? 0 : tokens.sent,
                            promptTokens,
                            tokenCost);
        }
        return wait;
    }

    /** The mark of the request that {@link #acquire} has just let out. */
    Mark mark() {
        return last;
    }

    /**
     * Takes in an answer to the request sent at {@code mark}: the provider's figures, or null, and
     * the prompt tokens it reports (0 when it does not), which correct what the request was taken
     * to cost.
     */
    void answered(Mark mark, RateLimits limits, long now, long promptTokens) {
        long correction = 0;
        if (tokens != null && promptTokens > 0) {
            promptOverhead += 0.2 * ((promptTokens - mark.promptEstimate()) - promptOverhead);
            correction = promptTokens + maxCompletionTokens - mark.tokenCost();
            if (correction != 0) {
                tokens.take(now, correction);
            }
        }
        observe(mark, limits, now, correction);
    }

    /**
     * Takes in a 429: the provider's figures where it sent them; without them, the quota is taken
     * as spent when the request was counted.
     */
    void rateLimited(Mark mark, RateLimits limits, long now) {
        if (limits != null) {
            observe(mark, limits, now, 0);
            return;
        }
        if (requests != null) {
            requests.exhausted(mark.sequence(), mark.requestsSent(), now);
        }
        if (tokens != null) {
            tokens.exhausted(mark.sequence(), mark.tokensSent(), now);
        }
    }

    /**
     * Re-seeds each limit from the figures of the request sent at {@code mark}, whose cost the
     * provider counted as what was taken for it plus {@code tokenCorrection}.
     */
    private void observe(Mark mark, RateLimits limits, long now, long tokenCorrection) {
        if (limits == null) {
            return;
        }
        if (requests != null && limits.remainingRequests() >= 0) {
            requests.observe(
                    mark.sequence(),
                    mark.requestsSent(),
                    limits.remainingRequests(),
                    limits.resetRequestsMs(),
                    now);
        }
        if (tokens != null && limits.remainingTokens() >= 0) {
            tokens.observe(
                    mark.sequence(),
                    mark.tokensSent() + tokenCorrection,
                    limits.remainingTokens(),
                    limits.resetTokensMs(),
                    now);
        }
    }

    /** Whether this subtask is following the provider's figures now (for tests and metrics). */
    boolean sharing(long now) {
        return (requests != null && requests.fresh(now)) || (tokens != null && tokens.fresh(now));
    }

    /**
     * One limit, requests or tokens: a bucket of this subtask's part, refilled at 1/p of the
     * quota's rate. Split evenly, it holds a second's worth; each fresher set of the provider's
     * figures re-seeds it with 1/p of what remained, less what this subtask sent after that
     * request, and holds 1/p of a whole quota.
     */
    private static final class Dimension {
        final double perMs;
        final double evenCapacity;
        final int parallelism;
        final boolean shareByProvider;
        final double quotaPerMs;

        double capacity;
        double level;
        long last;

        /** Units this subtask has sent, corrected by what answers reported. */
        double sent;

        long snapshotSequence = -1;
        long snapshotAt;

        Dimension(long perMinute, int parallelism, boolean shareByProvider, long now) {
            this.parallelism = Math.max(1, parallelism);
            this.shareByProvider = shareByProvider;
            this.quotaPerMs = perMinute / 60_000.0;
            this.perMs = quotaPerMs / this.parallelism;
            this.evenCapacity = Math.max(1, perMs * 1_000);
            this.capacity = evenCapacity;
            this.level = evenCapacity;
            this.last = now;
        }

        boolean fresh(long now) {
            return snapshotSequence >= 0 && now - snapshotAt < SNAPSHOT_MAX_AGE_MS;
        }

        private void refill(long now) {
            if (snapshotSequence >= 0 && !fresh(now)) {
                capacity = evenCapacity; // the figures are stale: back to an even split
                level = Math.min(level, capacity);
            }
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

        void take(long now, double amount) {
            refill(now);
            level -= amount;
            sent += amount;
        }

        void observe(long sequence, double sentThen, double remaining, long resetMs, long now) {
            if (!shareByProvider || sequence <= snapshotSequence) {
                return; // an older request's figures: a later one's are already in
            }
            snapshotSequence = sequence;
            snapshotAt = now;
            // What remains plus what the reset time adds is the whole quota; without a reset
            // time, the capacity stays as it was.
            if (resetMs >= 0) {
                capacity = Math.max(1, (remaining + quotaPerMs * resetMs) / parallelism);
            }
            level = Math.min(capacity, remaining / parallelism) - (sent - sentThen);
            last = now;
        }

        /** A 429 without figures: nothing remained when the provider counted the request. */
        void exhausted(long sequence, double sentThen, long now) {
            if (shareByProvider) {
                observe(sequence, sentThen, 0, -1, now);
            } else {
                refill(now);
                level = Math.min(level, 0);
            }
        }
    }
}
