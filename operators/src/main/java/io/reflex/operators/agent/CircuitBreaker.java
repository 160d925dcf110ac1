package io.reflex.operators.agent;

/**
 * Stops calls to a failing endpoint. After {@code threshold} consecutive failures it opens for a
 * cool-down, then lets one probe through (half-open); the probe's success closes it, its failure
 * opens it again. Requests are parked meanwhile, never failed. Used on the mailbox thread only.
 */
final class CircuitBreaker {
    static final int CLOSED = 0;
    static final int OPEN = 1;
    static final int HALF_OPEN = 2;

    private final int threshold;
    private final long cooldownMs;
    private int state = CLOSED;
    private int consecutiveFailures;
    private long openUntil;
    private boolean probeInFlight;

    CircuitBreaker(int threshold, long cooldownMs) {
        this.threshold = threshold;
        this.cooldownMs = cooldownMs;
    }

    /** Whether a call may go out now; in half-open state, only the one probe. */
    boolean allow(long now) {
        if (state == OPEN && now >= openUntil) {
            state = HALF_OPEN;
            probeInFlight = false;
        }
        if (state == CLOSED) {
            return true;
        }
        if (state == HALF_OPEN && !probeInFlight) {
            probeInFlight = true;
            return true;
        }
        return false;
    }

    void onSuccess() {
        state = CLOSED;
        consecutiveFailures = 0;
        probeInFlight = false;
    }

    void onFailure(long now) {
        consecutiveFailures++;
        if (state == HALF_OPEN || consecutiveFailures >= threshold) {
            state = OPEN;
            openUntil = now + cooldownMs;
            probeInFlight = false;
        }
    }

    int state() {
        return state;
    }

    boolean isOpen() {
        return state == OPEN;
    }

    /** When an open breaker lets a probe through. */
    long reopensAt() {
        return openUntil;
    }
}
