package io.reflex.operators.agent;

import java.util.List;

/**
 * The ways an active key waits before its request is sent (again): until a time (a retry's backoff,
 * the rate limiter's admission, the rest of a recorded group), or until the circuit breaker lets
 * calls through. Each wait ends in {@code send}, unless the key moved on meanwhile. Processing-time
 * callbacks through {@link AgentHost}; mailbox thread only.
 */
final class KeyWaits {

    /** Sends the current key's pending request, or arranges to send it later. */
    @FunctionalInterface
    interface Sender {
        void send(Object key) throws Exception;
    }

    private final ActiveKeys active;
    private final CircuitBreaker breaker;
    private final AgentHost host;
    private final Sender sender;
    private boolean breakerWakeScheduled;

    KeyWaits(ActiveKeys active, CircuitBreaker breaker, AgentHost host, Sender sender) {
        this.active = active;
        this.breaker = breaker;
        this.host = host;
        this.sender = sender;
    }

    /** Sends {@code key}'s request at {@code time}, in {@code phase} until then. */
    void wake(Object key, ActiveKeys.Key k, ActiveKeys.Phase phase, long time) {
        active.waitUntil(k, phase, time);
        host.timer(
                time,
                () -> {
                    if (!active.wake(key, time)) {
                        return;
                    }
                    host.setKey(key);
                    AgentKeyState s = host.pending();
                    if (s != null && s.pending != null) {
                        sender.send(key);
                    }
                });
    }

    /** Holds the key until the breaker lets calls through again. */
    void park(ActiveKeys.Key k) {
        active.park(k);
        if (breaker.isOpen() && !breakerWakeScheduled) {
            breakerWakeScheduled = true;
            host.timer(
                    breaker.reopensAt(),
                    () -> {
                        breakerWakeScheduled = false;
                        releaseParked();
                    });
        }
    }

    /** Lets parked keys try again; in half-open state only one gets through, as the probe. */
    void releaseParked() throws Exception {
        List<Object> keys = active.unpark();
        if (keys.isEmpty()) {
            return;
        }
        Object current = host.key();
        for (Object key : keys) {
            host.setKey(key);
            AgentKeyState s = host.pending();
            if (s != null && s.pending != null) {
                sender.send(key); // parks the key again if the breaker still says no
            }
        }
        if (current != null) {
            host.setKey(current); // the caller goes on with its own key's state
        }
    }
}
