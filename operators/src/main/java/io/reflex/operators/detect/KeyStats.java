package io.reflex.operators.detect;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.model.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What the detector keeps for one key, in one value with a serializer of its own ({@link
 * KeyStatsSerializer}), so that an event costs one state read and one write: each rule's
 * statistics, the newest event's time and id, the pending absence timer, the ids of the key's
 * latest events for dropping replays, and its newest events for a trigger's context. The recent
 * events are kept in the bytes the serializer writes ({@link RecentEvent#encode}): an event is
 * encoded once when it arrives, copied as it is on each write after that, and decoded only when a
 * rule fires.
 *
 * <p><b>Replays.</b> An event is dropped as a replay when a hash of its id equals that of one of
 * the key's last {@code detector.dedupe-window} events seen within {@code detector.dedupe-ttl}
 * (processing time). Ids are kept as 64-bit hashes; two different ids of one key that share a hash
 * within the window would drop the second, with a chance of about one in 10^17 per pair.
 */
public final class KeyStats {
    /** Event time of the newest event seen for the key. */
    long lastEventTime = Long.MIN_VALUE;

    /** Id of the newest event seen for the key, or null. */
    String lastEventId;

    /** Event time the pending absence timer fires at, or {@code Long.MIN_VALUE}. */
    long absenceTimer = Long.MIN_VALUE;

    /** Events counted for the key. */
    long eventsSeen;

    /**
     * Recent events remembered for the key (after an upgrade, from those moved over): the newest
     * one's place among them is {@code recentCount - 1}.
     */
    long recentCount;

    /** Where the recent events of a value are: in it, or in the state of an older format. */
    enum RecentIn {
        /** In {@link #recent}: this format. */
        VALUE,
        /** Format version 1: in a list state of their own, counted by {@link #recentCount}. */
        LIST,
        /** Format versions 2 and 3: in a ring of map-state slots, {@code seq % context-events}. */
        SLOTS
    }

    /**
     * Whether the key has changed since the state changelog last sent it: set on the first change
     * of an interval, so that the detector adds the key to its set of changed keys once per
     * interval, not on every event. Not serialized: a value read afresh starts unset, and adding
     * its key again is harmless.
     */
    boolean changeUnsent;

    /** Where this value's recent events are: set when it is read, not serialized. */
    RecentIn recentIn = RecentIn.VALUE;

    private static final byte[][] NO_EVENTS = new byte[0][];

    /**
     * The newest recent events, each {@link RecentEvent#encode encoded}: a ring of at most {@code
     * context-events}, the oldest at {@link #recentHead}.
     */
    byte[][] recent = NO_EVENTS;

    int recentHead;
    int recentSize;

    /**
     * The estimated heap bytes of the recent events, kept up as they change: {@link #heapBytes}
     * runs on every event, and summing the ring there showed as a tenth of the keyed task.
     */
    long recentHeapBytes;

    /** Per-rule statistics, in the order rules were first seen; a handful, so a scan finds one. */
    RuleStats[] rules = new RuleStats[0];

    /** Id hashes of the latest events and when each was seen (epoch seconds), a ring. */
    long[] seenHashes = new long[0];

    int[] seenAt = new int[0];
    int seenHead;
    int seenSize;

    /**
     * The statistics of rule {@code id}, created on first use. A rule's statistics read from the
     * state have an id of their own; the first lookup replaces it with {@code id}, so that later
     * lookups compare references, not characters: this runs for every rule on every event.
     */
    RuleStats rule(String id) {
        RuleStats found = ruleOrNull(id);
        if (found != null) {
            return found;
        }
        RuleStats r = new RuleStats(id);
        rules = Arrays.copyOf(rules, rules.length + 1);
        rules[rules.length - 1] = r;
        return r;
    }

    /** The statistics of rule {@code id}, or null; a match by characters takes {@code id}. */
    RuleStats ruleOrNull(String id) {
        for (RuleStats r : rules) {
            if (r.id == id) {
                return r;
            }
        }
        for (RuleStats r : rules) {
            if (r.id.equals(id)) {
                r.id = id;
                return r;
            }
        }
        return null;
    }

    /**
     * Whether {@code hash} is one of the remembered ids seen since {@code notBefore} (epoch
     * seconds); if not, remembers it, dropping the oldest beyond {@code window}.
     */
    boolean seenBefore(long hash, int nowSeconds, int notBefore, int window) {
        // The ring in at most two runs, without a division per slot: this scan runs on every event.
        int first = Math.min(seenSize, seenHashes.length - seenHead);
        for (int at = seenHead, end = seenHead + first; at < end; at++) {
            if (seenHashes[at] == hash && seenAt[at] >= notBefore) {
                return true;
            }
        }
        for (int at = 0, end = seenSize - first; at < end; at++) {
            if (seenHashes[at] == hash && seenAt[at] >= notBefore) {
                return true;
            }
        }
        if (window <= 0) {
            return false;
        }
        while (seenSize > 0 && (seenSize >= window || seenAt[seenHead] < notBefore)) {
            seenHead = (seenHead + 1) % seenHashes.length;
            seenSize--;
        }
        if (seenSize == seenHashes.length) {
            int cap = Math.min(Math.max(4, seenHashes.length * 2), window);
            long[] h = new long[cap];
            int[] a = new int[cap];
            for (int i = 0; i < seenSize; i++) {
                h[i] = seenHashes[(seenHead + i) % seenHashes.length];
                a[i] = seenAt[(seenHead + i) % seenAt.length];
            }
            seenHashes = h;
            seenAt = a;
            seenHead = 0;
        }
        int at = (seenHead + seenSize) % seenHashes.length;
        seenHashes[at] = hash;
        seenAt[at] = nowSeconds;
        seenSize++;
        return false;
    }

    /**
     * Keeps {@code event} ({@link RecentEvent#encode encoded}) as the newest recent event, dropping
     * the oldest beyond {@code capacity} (at least 1).
     */
    void remember(byte[] event, int capacity) {
        if (recent.length != capacity) {
            byte[][] r = new byte[capacity][];
            int keep = Math.min(recentSize, capacity);
            for (int i = 0; i < keep; i++) {
                r[i] = recentEvent(recentSize - keep + i);
            }
            recent = r;
            recentHead = 0;
            recentSize = keep;
            recentHeapBytes = 0;
            for (int i = 0; i < keep; i++) {
                recentHeapBytes += heapBytes(r[i]);
            }
        }
        if (recentSize < capacity) {
            recent[(recentHead + recentSize) % capacity] = event;
            recentSize++;
        } else {
            recentHeapBytes -= heapBytes(recent[recentHead]);
            recent[recentHead] = event;
            recentHead = (recentHead + 1) % capacity;
        }
        recentHeapBytes += heapBytes(event);
        recentCount++;
    }

    /** The estimated heap bytes of one encoded event: the array's header and its bytes. */
    static long heapBytes(byte[] event) {
        return 16 + event.length;
    }

    /** The {@code i}-th oldest recent event, encoded. */
    byte[] recentEvent(int i) {
        return recent[(recentHead + i) % recent.length];
    }

    /** Forgets the recent events, and their count: before moving an older format's over. */
    void clearRecent() {
        recent = NO_EVENTS;
        recentHead = 0;
        recentSize = 0;
        recentCount = 0;
        recentHeapBytes = 0;
    }

    /** The recent events, oldest first, decoded. */
    List<RecentEvent> recentEvents() throws IOException {
        List<RecentEvent> events = new ArrayList<>(recentSize);
        for (int i = 0; i < recentSize; i++) {
            events.add(RecentEvent.decode(recentEvent(i), recentCount - recentSize + i));
        }
        return events;
    }

    /**
     * A 64-bit hash of an event id: FNV-1a over its UTF-16 units, then the SplitMix64 finalizer so
     * that ids differing in one character spread over all bits.
     */
    static long idHash(String id) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < id.length(); i++) {
            h ^= id.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= id.length();
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }

    /**
     * An estimate of this value's heap size: object headers and fields, and the arrays at their
     * capacity, with strings of one byte a character. It bounds {@link StatsCache}.
     */
    long heapBytes() {
        long b = 72 + 24 + 16L + 8L * rules.length + 2 * 16 + 12L * seenHashes.length;
        if (lastEventId != null) {
            b += 40 + lastEventId.length();
        }
        b += 16 + 4L * recent.length + recentHeapBytes;
        for (RuleStats r : rules) {
            b += 64 + 40 + r.id.length() + 2 * 16 + 16L * r.times.length;
        }
        return b;
    }

    KeyStats copy() {
        KeyStats c = new KeyStats();
        c.lastEventTime = lastEventTime;
        c.lastEventId = lastEventId;
        c.absenceTimer = absenceTimer;
        c.eventsSeen = eventsSeen;
        c.recentCount = recentCount;
        c.recentIn = recentIn;
        c.recent = recent.length == 0 ? NO_EVENTS : recent.clone(); // the events never change
        c.recentHead = recentHead;
        c.recentSize = recentSize;
        c.recentHeapBytes = recentHeapBytes;
        c.rules = new RuleStats[rules.length];
        for (int i = 0; i < rules.length; i++) {
            c.rules[i] = rules[i].copy();
        }
        c.seenHashes = Arrays.copyOf(seenHashes, seenHashes.length);
        c.seenAt = Arrays.copyOf(seenAt, seenAt.length);
        c.seenHead = seenHead;
        c.seenSize = seenSize;
        return c;
    }

    /**
     * The statistics kept in the 0.1 format ({@link DetectorState} and the ids of the dedupe map
     * state), moved into a {@code KeyStats} on the key's first event after an upgrade.
     */
    static KeyStats fromLegacy(
            DetectorState s, Iterable<String> seenIds, int nowSeconds, int maxSamples, int window) {
        KeyStats k = new KeyStats();
        if (s != null) {
            k.lastEventTime = s.lastEventTime;
            k.lastEventId = s.lastEventId;
            k.absenceTimer = s.absenceTimer;
            k.eventsSeen = s.eventsSeen;
            for (Map.Entry<String, RuleState> e : s.rules.entrySet()) {
                RuleStats r = RuleStats.fromLegacy(e.getKey(), e.getValue(), maxSamples);
                k.rules = Arrays.copyOf(k.rules, k.rules.length + 1);
                k.rules[k.rules.length - 1] = r;
            }
        }
        if (seenIds != null) {
            for (String id : seenIds) {
                k.seenBefore(idHash(id), nowSeconds, Integer.MIN_VALUE, window);
            }
        }
        return k;
    }

    /** The state as JSON, in the field names of the POJO it replaced, for the savepoint tool. */
    public ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("lastEventTime", lastEventTime);
        n.put("lastEventId", lastEventId);
        n.put("absenceTimer", absenceTimer);
        n.put("eventsSeen", eventsSeen);
        n.put("recentCount", recentCount);
        try {
            n.set("recent", Json.MAPPER.valueToTree(recentEvents()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ObjectNode rs = n.putObject("rules");
        for (RuleStats r : rules) {
            ObjectNode o = rs.putObject(r.id);
            o.put("count", r.count);
            o.put("mean", r.mean);
            o.put("variance", r.variance);
            o.put("last", r.last);
            o.put("lastFired", r.lastFired);
            ArrayNode t = o.putArray("sampleTimes");
            ArrayNode v = o.putArray("sampleValues");
            for (int i = 0; i < r.size; i++) {
                t.add(r.time(i));
                v.add(r.value(i));
            }
        }
        n.put("dedupeIds", seenSize);
        return n;
    }
}
