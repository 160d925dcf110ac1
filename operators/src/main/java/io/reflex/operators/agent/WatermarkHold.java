package io.reflex.operators.agent;

import java.util.TreeMap;

/**
 * Holds the agent's output watermark below the oldest trigger it has not decided on yet, so that a
 * trigger's actions are never late behind a watermark the agent already emitted. Counts each event
 * time, since triggers may share one. Mailbox thread only.
 */
final class WatermarkHold {
    /** Returned by {@link #advance()} when the watermark does not move. */
    static final long UNCHANGED = Long.MIN_VALUE;

    private final TreeMap<Long, Integer> held = new TreeMap<>();
    private long input = Long.MIN_VALUE;
    private long emitted = Long.MIN_VALUE;

    /** A trigger with this event time is now pending or backlogged. */
    void hold(long eventTime) {
        held.merge(eventTime, 1, Integer::sum);
    }

    /** A trigger with this event time has been decided on or dead-lettered. */
    void release(long eventTime) {
        held.computeIfPresent(eventTime, (k, n) -> n == 1 ? null : n - 1);
    }

    /** The watermark that arrived on the input. */
    void input(long watermark) {
        input = watermark;
    }

    /**
     * The watermark to emit now: the input's, held one below the oldest held event time; or {@link
     * #UNCHANGED} when that is not above the last one emitted.
     */
    long advance() {
        long w = held.isEmpty() ? input : Math.min(input, held.firstKey() - 1);
        if (w > emitted) {
            emitted = w;
            return w;
        }
        return UNCHANGED;
    }
}
