package io.reflex.operators.detect;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The {@link KeyStats} of a subtask's keys since the last checkpoint, on the heap, written back to
 * the keyed state in bulk: before each checkpoint barrier ({@link #flush}), and when a changed
 * entry is evicted. A key with several events between two checkpoints is then read from the state
 * once and written once, instead of once per event; what a checkpoint holds is unchanged, since
 * every change reaches the state before the barrier. Flink's mini-batch operators (its table
 * runtime's {@code MapBundleOperator}) buffer state changes the same way, up to the barrier.
 *
 * <p>A flush also empties the cache, so that no value is held across a checkpoint: a heap state
 * backend hands out its own objects and copies them on write only while a snapshot reads them, and
 * a value cached across the snapshot would be changed under it.
 *
 * <p><b>Spread.</b> A changed entry is also written back once its key has been quiet (unchanged)
 * for {@code detector.cache-write-delay} ({@link #writeBehind}, a few per event), so that the flush
 * before a barrier, which holds up the task and the records behind it, writes only the keys that
 * changed within that last delay. A key that keeps changing is not written behind: it would be
 * changed again, and so be in the flush, anyway; its events between two barriers cost one write. A
 * key that changed once is written once, a delay later.
 *
 * <p><b>Bounded.</b> The entries' estimated heap size ({@link KeyStats#heapBytes}) stays within
 * {@code maxBytes}: beyond it, the least recently used entries are evicted, and written back if
 * they changed. An entry that alone exceeds the bound is written back and not kept.
 *
 * <p><b>TTL.</b> An entry not changed for {@code ttlMs} (processing time) is dropped when next
 * seen, without a write, as the state's TTL would have expired it. The state's own TTL then counts
 * from the write-back, at most one checkpoint interval after the change.
 *
 * <p>Not thread-safe: the task thread alone uses it, and the write-backs run on it too.
 */
final class StatsCache {

    /** Writes one key's statistics to the keyed state. */
    @FunctionalInterface
    interface WriteBack {
        void write(String key, KeyStats stats) throws Exception;
    }

    /** The estimated heap bytes of an entry besides its value: the map node, entry and key. */
    static final long ENTRY_OVERHEAD_BYTES = 96;

    private static final class Entry {
        final String key;
        KeyStats stats;
        long bytes;
        long changedAt;

        /** Changed since its last write-back, or since it was read. */
        boolean dirty;

        /** Has its one record in {@link #pending}. */
        boolean queued;

        /** In {@link #entries}: false once removed, evicted or flushed. */
        boolean cached = true;

        Entry(String key) {
            this.key = key;
        }
    }

    /** An entry that changed at {@code since}, in the order of {@link #pending}. */
    private record Pending(Entry entry, long since) {}

    /**
     * Records {@link #writeBehind} looks at per call at most, written or not: a busy key's record
     * is looked at and queued again about once per write delay.
     */
    private static final int LOOKS_PER_WRITE = 4;

    private final long maxBytes;
    private final long ttlMs;
    private final WriteBack writeBack;

    /** In access order, least recently used first. */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(1024, 0.75f, true);

    /**
     * Changed entries, one record each, in about the order they changed, for {@link #writeBehind}.
     * A record is taken when due; its entry is written back if it has been quiet since, skipped if
     * it was written back or evicted meanwhile, and queued again, as of its last change, if it
     * changed since. A change does not touch the queue when its entry is queued already, so the
     * queue holds at most one record per changed entry. A flush empties it.
     */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    /**
     * The entry last found or put: an event looks its key up, then stores its change, and the
     * second lookup is this one instead of the map's.
     */
    private Entry last;

    private long bytes;
    private long peakBytes;
    private long writeBacks;

    StatsCache(long maxBytes, long ttlMs, WriteBack writeBack) {
        this.maxBytes = maxBytes;
        this.ttlMs = ttlMs;
        this.writeBack = writeBack;
    }

    /** The cached statistics of {@code key}, or null when not cached or expired. */
    KeyStats get(String key, long now) {
        Entry e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (now - e.changedAt >= ttlMs) {
            entries.remove(key);
            bytes -= e.bytes;
            e.cached = false;
            e.dirty = false; // expired: dropped without a write, as the state's TTL would
            return null;
        }
        last = e;
        return e.stats;
    }

    /**
     * Keeps {@code stats}, as read from the state, for {@code key}. It counts as changed now for
     * the TTL: a key is only read to be changed, apart from a replayed event.
     */
    void admit(String key, KeyStats stats, long now) throws Exception {
        put(key, stats, now, false);
    }

    /** {@code stats} of {@code key} changed: it is written back at the next flush or eviction. */
    void changed(String key, KeyStats stats, long now) throws Exception {
        put(key, stats, now, true);
    }

    private void put(String key, KeyStats stats, long now, boolean change) throws Exception {
        Entry e = last != null && last.cached && last.key.equals(key) ? last : entries.get(key);
        if (e == null) {
            e = new Entry(key);
            entries.put(key, e);
        } else {
            bytes -= e.bytes;
        }
        last = e;
        e.stats = stats;
        e.changedAt = now;
        if (change && !e.dirty) {
            e.dirty = true;
            if (!e.queued) {
                e.queued = true;
                pending.addLast(new Pending(e, now));
            }
        }
        e.bytes = ENTRY_OVERHEAD_BYTES + 2L * key.length() + stats.heapBytes();
        bytes += e.bytes;
        if (bytes > maxBytes) {
            evict(now);
        }
        peakBytes = Math.max(peakBytes, bytes);
    }

    /** Evicts the least recently used entries until the bound holds, writing back changed ones. */
    private void evict(long now) throws Exception {
        Iterator<Entry> it = entries.values().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Entry e = it.next();
            it.remove();
            bytes -= e.bytes;
            e.cached = false;
            writeBack(e, now);
        }
    }

    /**
     * Writes back, oldest first, at most {@code max} changed entries that have not changed for
     * {@code delayMs}; they stay cached. Called after each event, it spreads the writes between
     * checkpoints, so that the flush before a barrier writes only the keys that changed within the
     * delay. Returns how many it wrote.
     */
    int writeBehind(long now, long delayMs, int max) throws Exception {
        int written = 0;
        for (int looks = 0;
                written < max && looks < LOOKS_PER_WRITE * max && !pending.isEmpty();
                looks++) {
            Pending p = pending.peekFirst();
            if (now - p.since() < delayMs) {
                break;
            }
            pending.pollFirst();
            Entry e = p.entry();
            e.queued = false;
            if (!e.cached || !e.dirty) {
                continue; // evicted, or written back meanwhile
            }
            if (now - e.changedAt < delayMs) {
                e.queued = true; // still changing: look again once quiet since its last change
                pending.addLast(new Pending(e, e.changedAt));
                continue;
            }
            if (writeBack(e, now)) {
                written++;
            }
        }
        return written;
    }

    /**
     * Writes back every changed entry that has not expired, and empties the cache. Returns how many
     * it wrote.
     */
    int flush(long now) throws Exception {
        int written = 0;
        for (Entry e : entries.values()) {
            e.cached = false;
            if (writeBack(e, now)) {
                written++;
            }
        }
        entries.clear();
        pending.clear();
        last = null;
        bytes = 0;
        return written;
    }

    /**
     * Ends {@code e}'s pending change, if any: writes it back unless it has expired (then the
     * state's TTL would have dropped it). Returns whether it wrote.
     */
    private boolean writeBack(Entry e, long now) throws Exception {
        if (!e.dirty) {
            return false;
        }
        e.dirty = false;
        if (now - e.changedAt >= ttlMs) {
            return false;
        }
        writeBacks++;
        writeBack.write(e.key, e.stats);
        return true;
    }

    /** Keys cached. */
    int size() {
        return entries.size();
    }

    /** The entries' estimated heap bytes, at most {@code maxBytes}. */
    long bytes() {
        return bytes;
    }

    /** The most {@link #bytes} has been after any change, at most {@code maxBytes}. */
    long peakBytes() {
        return peakBytes;
    }

    /** Entries changed since their last write-back. */
    int dirty() {
        int n = 0;
        for (Entry e : entries.values()) {
            n += e.dirty ? 1 : 0;
        }
        return n;
    }

    /** Write-backs so far, by flushes and evictions. */
    long writeBacks() {
        return writeBacks;
    }
}
