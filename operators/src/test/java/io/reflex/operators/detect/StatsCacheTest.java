package io.reflex.operators.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Tests for {@link StatsCache}: its bound, its write-backs and its TTL. */
class StatsCacheTest {

    /** The write-backs, as the keyed state would receive them. */
    private final Map<String, KeyStats> state = new HashMap<>();

    private final List<String> written = new ArrayList<>();

    private StatsCache cache(long maxBytes, long ttlMs) {
        return new StatsCache(
                maxBytes,
                ttlMs,
                (key, s) -> {
                    written.add(key);
                    state.put(key, s.copy()); // a copy: later changes must be written again
                });
    }

    private static KeyStats stats(long eventsSeen) {
        KeyStats s = new KeyStats();
        s.eventsSeen = eventsSeen;
        return s;
    }

    /** The bytes of one entry for a one-letter key and an empty value. */
    private static long entryBytes() {
        return StatsCache.ENTRY_OVERHEAD_BYTES + 2 + new KeyStats().heapBytes();
    }

    @Test
    void evictsTheLeastRecentlyUsedBeyondTheBoundAndWritesBackOnlyChangedOnes() throws Exception {
        StatsCache c = cache(3 * entryBytes(), Long.MAX_VALUE);
        c.admit("a", stats(1), 0); // clean: read from the state
        c.changed("b", stats(2), 0);
        c.changed("c", stats(3), 0);
        assertThat(c.get("a", 0)).isNotNull(); // a is now the most recently used
        c.changed("d", stats(4), 0);
        assertThat(c.size()).isEqualTo(3);
        assertThat(c.get("b", 0)).as("the least recently used went").isNull();
        assertThat(written).containsExactly("b");
        assertThat(state.get("b").eventsSeen).isEqualTo(2);
        c.changed("e", stats(5), 0);
        c.changed("f", stats(6), 0);
        assertThat(written).as("a was clean: evicted without a write").containsExactly("b", "c");
        assertThat(c.bytes()).isLessThanOrEqualTo(3 * entryBytes());
    }

    @Test
    void aFlushWritesEachChangedEntryOnceAndEmptiesTheCache() throws Exception {
        StatsCache c = cache(1 << 20, Long.MAX_VALUE);
        KeyStats a = stats(1);
        for (int i = 0; i < 5; i++) {
            a.eventsSeen++;
            c.changed("a", a, i);
        }
        c.changed("b", stats(7), 5);
        c.admit("c", stats(8), 5);
        assertThat(c.dirty()).isEqualTo(2);
        c.flush(6);
        assertThat(written).as("c was read, not changed").containsExactlyInAnyOrder("a", "b");
        assertThat(state.get("a").eventsSeen).isEqualTo(6);
        assertThat(c.dirty()).isZero();
        assertThat(c.size()).as("nothing is held across a checkpoint").isZero();
        assertThat(c.bytes()).isZero();
        assertThat(c.get("a", 7)).isNull();
        c.flush(7);
        assertThat(written).hasSize(2);
    }

    @Test
    void writesBehindTheKeysQuietLongestFirstWithinItsBudgetAndKeepsThemCached() throws Exception {
        StatsCache c = cache(1 << 20, Long.MAX_VALUE);
        c.changed("a", stats(1), 0);
        c.changed("b", stats(2), 50);
        c.changed("c", stats(3), 60);
        assertThat(c.writeBehind(120, 100, 2)).as("a is quiet since 0").isEqualTo(1);
        assertThat(written).containsExactly("a");
        assertThat(c.writeBehind(170, 100, 1)).as("the budget").isEqualTo(1);
        assertThat(written).containsExactly("a", "b");
        c.changed("b", stats(5), 210); // changed again after its write-back
        assertThat(c.dirty()).isEqualTo(2);
        assertThat(c.writeBehind(400, 100, 5)).isEqualTo(2);
        assertThat(written).containsExactly("a", "b", "c", "b");
        assertThat(state.get("b").eventsSeen).isEqualTo(5);
        assertThat(c.dirty()).isZero();
        assertThat(c.size()).as("written behind, still cached").isEqualTo(3);
        assertThat(c.flush(500)).as("nothing left to write").isZero();
    }

    /**
     * A key that keeps changing is not written behind: it would be in the flush before the next
     * barrier anyway. Once it has been quiet for the delay, it is written once, with its latest
     * value.
     */
    @Test
    void aKeyThatKeepsChangingIsWrittenOnceItIsQuiet() throws Exception {
        StatsCache c = cache(1 << 20, Long.MAX_VALUE);
        for (int t = 0; t <= 1_000; t += 50) {
            c.changed("busy", stats(t), t);
            c.writeBehind(t, 100, 2);
        }
        assertThat(written).as("never quiet for 100 ms").isEmpty();
        assertThat(c.writeBehind(1_099, 100, 2)).isZero();
        assertThat(c.writeBehind(1_100, 100, 2)).isEqualTo(1);
        assertThat(written).containsExactly("busy");
        assertThat(state.get("busy").eventsSeen).isEqualTo(1_000);
        assertThat(c.flush(1_200)).isZero();
    }

    @Test
    void anEvictedOrExpiredChangeIsNotWrittenBehindAgain() throws Exception {
        StatsCache c = cache(2 * entryBytes(), 1_000);
        c.changed("a", stats(1), 0);
        c.changed("b", stats(2), 0);
        c.changed("c", stats(3), 0); // evicts a, written back
        assertThat(written).containsExactly("a");
        assertThat(c.get("b", 1_000)).as("expired").isNull();
        assertThat(c.writeBehind(900, 0, 10)).as("only c is left").isEqualTo(1);
        assertThat(written).containsExactly("a", "c");
    }

    @Test
    void anEntryUnchangedForTheTtlIsDroppedWithoutAWrite() throws Exception {
        StatsCache c = cache(1 << 20, 1_000);
        c.changed("a", stats(1), 0);
        c.changed("b", stats(2), 500);
        assertThat(c.get("a", 999)).isNotNull();
        assertThat(c.get("a", 1_000)).as("expired, as the state's TTL would").isNull();
        assertThat(c.size()).isEqualTo(1);
        c.flush(1_600);
        assertThat(written).as("b expired before the flush too").isEmpty();
        assertThat(c.size()).isZero();
        assertThat(c.bytes()).isZero();
        assertThat(c.dirty()).isZero();
    }

    @Test
    void anEntryLargerThanTheBoundIsWrittenBackAndNotKept() throws Exception {
        StatsCache c = cache(entryBytes() + 100, Long.MAX_VALUE);
        KeyStats big = stats(1);
        RuleStats r = big.rule("move");
        for (int i = 0; i < 100; i++) {
            r.add(i, i, 512);
        }
        c.changed("a", big, 0);
        assertThat(written).containsExactly("a");
        assertThat(c.size()).isZero();
        assertThat(c.bytes()).isZero();
    }

    /**
     * Against a model, over random reads, changes, flushes and growing values: the bound holds
     * after every step, and after a final flush the state holds each key's latest value.
     */
    @Test
    void holdsItsBoundAndLosesNoChangeOverARandomWorkload() throws Exception {
        Random random = new Random(7);
        long max = 20 * entryBytes();
        StatsCache c = cache(max, Long.MAX_VALUE);
        Map<String, Long> latest = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            String key = Character.toString('a' + random.nextInt(26)) + random.nextInt(3);
            KeyStats s = c.get(key, i);
            if (s == null) {
                KeyStats stored = state.get(key);
                s = stored == null ? new KeyStats() : stored.copy();
                c.admit(key, s, i);
            }
            if (random.nextInt(5) > 0) {
                s.eventsSeen++;
                if (random.nextInt(10) == 0) {
                    s.rule("r" + random.nextInt(3)).add(i, i, 8);
                }
                if (random.nextInt(4) == 0) {
                    // recent events of up to a few hundred bytes: the values' size varies widely
                    String payload = "x".repeat(random.nextInt(300));
                    s.remember(RecentEvent.encode("e" + i, i, "s", payload), 3);
                }
                c.changed(key, s, i);
                latest.put(key, s.eventsSeen);
            }
            assertThat(c.bytes()).isLessThanOrEqualTo(max);
            assertThat(c.peakBytes()).isLessThanOrEqualTo(max);
            if (random.nextInt(500) == 0) {
                c.flush(i);
            } else {
                c.writeBehind(i, random.nextInt(50), 1 + random.nextInt(2));
            }
        }
        c.flush(20_000);
        assertThat(c.dirty()).isZero();
        latest.forEach((key, seen) -> assertThat(state.get(key).eventsSeen).isEqualTo(seen));
        assertThat(state.values().stream().mapToInt(v -> v.recentSize).sum())
                .as("the recent events went through")
                .isPositive();
        assertThat(c.writeBacks()).isEqualTo(written.size());
    }
}
