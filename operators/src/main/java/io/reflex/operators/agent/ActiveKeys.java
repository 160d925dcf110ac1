package io.reflex.operators.agent;

import io.reflex.operators.llm.ChatMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keys that have a pending request on this subtask, each with the phase its request is in. This
 * is runtime only: the request itself is keyed state ({@link AgentKeyState}), and after a restore
 * the agent activates each restored key again. Bounded by the agent's capacity. Mailbox thread
 * only.
 */
final class ActiveKeys {

    /** Where a key's pending request is. */
    enum Phase {
        /** About to be sent, or just answered. */
        READY,
        /** A call is in flight; its answer comes back through the mailbox. */
        IN_FLIGHT,
        /** Waiting for a retry after a failed attempt. */
        BACKING_OFF,
        /** Waiting for the rate limiter to admit it. */
        RATE_LIMITED,
        /** Waiting for the circuit breaker to let calls through. */
        PARKED,
        /**
         * After a restore, waiting for the rest of the triggers that the journal recorded as one
         * request, so that the replay groups them as the live run did.
         */
        GROUPING
    }

    /** One key's runtime. */
    static final class Key {
        private final Object key;
        private Phase phase = Phase.READY;
        private long call;
        private long wakeAt;

        /** The conversation of the pending request; null until it is built. */
        List<ChatMessage> conversation;

        /** SHA-256 of the conversation's first messages, schema and tools, for the journal. */
        String contentHash;

        /** Whether the next send continues the conversation (tool round, repair), not a retry. */
        boolean continues;

        private Key(Object key) {
            this.key = key;
        }

        Phase phase() {
            return phase;
        }
    }

    private final Map<Object, Key> keys = new LinkedHashMap<>();
    private int backlog;
    private long calls;
    private int inFlight;

    /**
     * The parked keys, longest parked first: the next probe goes to the one that waited longest.
     */
    private final Set<Key> parked = new LinkedHashSet<>();

    /** Makes {@code key} active, in phase {@link Phase#READY}. */
    Key activate(Object key) {
        return keys.computeIfAbsent(key, Key::new);
    }

    /** The key's runtime, or null if it has no pending request here. */
    Key get(Object key) {
        return keys.get(key);
    }

    boolean contains(Object key) {
        return keys.containsKey(key);
    }

    int size() {
        return keys.size();
    }

    boolean isEmpty() {
        return keys.isEmpty();
    }

    /** Triggers waiting in the active keys' backlogs. */
    int backlog() {
        return backlog;
    }

    /** The backlogs grew (or, negative, shrank) by {@code triggers}. */
    void backlogged(int triggers) {
        backlog += triggers;
    }

    /** Keys with a call in flight. */
    int inFlight() {
        return inFlight;
    }

    /** The key has no pending request left. */
    void remove(Object key) {
        Key k = keys.remove(key);
        if (k != null) {
            enter(k, Phase.READY);
        }
    }

    /** A call is sent for the key; returns its id, which its answer must match. */
    long send(Key k) {
        enter(k, Phase.IN_FLIGHT);
        k.call = ++calls;
        return k.call;
    }

    /**
     * Whether this answer is the one the key waits for; if it is, the key is {@link Phase#READY}
     * again. An answer for a key that moved on is superseded.
     */
    boolean answered(Object key, long call) {
        Key k = keys.get(key);
        if (k == null || k.phase != Phase.IN_FLIGHT || k.call != call) {
            return false;
        }
        enter(k, Phase.READY);
        return true;
    }

    /**
     * The key waits in {@code phase} ({@link Phase#BACKING_OFF}, RATE_LIMITED or GROUPING) until
     * {@code at}.
     */
    void waitUntil(Key k, Phase phase, long at) {
        enter(k, phase);
        k.wakeAt = at;
    }

    /**
     * Whether a wake-up for {@code at} is still the one the key waits for; if it is, the key is
     * {@link Phase#READY} again. A key that was sent, parked or ended since ignores it.
     */
    boolean wake(Object key, long at) {
        Key k = keys.get(key);
        if (k == null
                || (k.phase != Phase.BACKING_OFF
                        && k.phase != Phase.RATE_LIMITED
                        && k.phase != Phase.GROUPING)
                || k.wakeAt != at) {
            return false;
        }
        enter(k, Phase.READY);
        return true;
    }

    void park(Key k) {
        enter(k, Phase.PARKED);
    }

    /** Every parked key, longest parked first, each {@link Phase#READY} again. */
    List<Object> unpark() {
        if (parked.isEmpty()) {
            return List.of();
        }
        List<Key> released = new ArrayList<>(parked);
        List<Object> keys = new ArrayList<>(released.size());
        for (Key k : released) {
            enter(k, Phase.READY);
            keys.add(k.key);
        }
        return keys;
    }

    private void enter(Key k, Phase phase) {
        inFlight += (phase == Phase.IN_FLIGHT ? 1 : 0) - (k.phase == Phase.IN_FLIGHT ? 1 : 0);
        if (k.phase == Phase.PARKED) {
            parked.remove(k);
        }
        if (phase == Phase.PARKED) {
            parked.add(k);
        }
        k.phase = phase;
    }
}
