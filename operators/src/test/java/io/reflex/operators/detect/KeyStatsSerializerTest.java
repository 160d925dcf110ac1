package io.reflex.operators.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** Tests for {@link KeyStatsSerializer} and the dedupe ring of {@link KeyStats}. */
class KeyStatsSerializerTest {

    /** A value with every field set: two rules, one with samples, and two remembered ids. */
    private static KeyStats sample() {
        KeyStats s = new KeyStats();
        s.lastEventTime = 1_000;
        s.lastEventId = "t9";
        s.absenceTimer = Long.MIN_VALUE;
        s.eventsSeen = 300;
        s.recentCount = 3;
        RuleStats move = s.rule("move");
        move.count = 2;
        move.last = 101.5;
        move.add(900, 100.0, 512);
        move.add(1_000, 101.5, 512);
        RuleStats spike = s.rule("spike");
        spike.count = 7;
        spike.mean = 10.5;
        spike.variance = 0.25;
        spike.last = 11;
        spike.lastFired = 950;
        s.seenBefore(KeyStats.idHash("t8"), 100, 0, 64);
        s.seenBefore(KeyStats.idHash("t9"), 101, 0, 64);
        return s;
    }

    /** {@link #sample()} with three recent events kept in a ring of two: the oldest is gone. */
    private static KeyStats sampleWithRecentEvents() {
        KeyStats s = sample();
        s.recentCount = 0;
        s.remember(RecentEvent.encode("t7", 800, "trades", "{\"p\":1}"), 2);
        s.remember(RecentEvent.encode("t8", 900, "trades", "{\"p\":2}"), 2);
        s.remember(RecentEvent.encode("t9", 1_000, null, "{\"h\":\"é\"}"), 2);
        return s;
    }

    private static byte[] bytes(KeyStats s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        KeyStatsSerializer.INSTANCE.serialize(s, out);
        return out.getCopyOfBuffer();
    }

    private static KeyStats read(byte[] b) throws IOException {
        return KeyStatsSerializer.INSTANCE.deserialize(new DataInputDeserializer(b));
    }

    /**
     * The bytes of format version 4, written today, are pinned: a change to the format that does
     * not add a version fails here, before it can make old state unreadable.
     */
    @Test
    void version4BytesArePinned() throws IOException {
        String hex = HexFormat.of().formatHex(bytes(sampleWithRecentEvents()));
        assertThat(hex)
                .startsWith("04" + "00000000000003e8" + "8000000000000000" + "ac02" + "03")
                .endsWith(RECENT_EVENTS)
                .isEqualTo(VERSION_4);
        assertThat(read(HexFormat.of().parseHex(VERSION_4)).toJson())
                .isEqualTo(sampleWithRecentEvents().toJson());
        assertThat(read(HexFormat.of().parseHex(VERSION_4)).recentEvents())
                .extracting(e -> e.id + "@" + e.eventTime + "/" + e.source + " " + e.payload)
                .containsExactly("t8@900/trades {\"p\":2}", "t9@1000/null {\"h\":\"é\"}");
    }

    /**
     * Version 4 is version 3 with the recent events at the end: 2 of them, each its length, then
     * id, source and payload as strings (length + 1, UTF-8) and the event time as a zigzag varint
     * (900 is 880e, 1000 is d00f).
     */
    private static final String RECENT_EVENTS =
            "02"
                    + "14"
                    + "03"
                    + "7438"
                    + "07"
                    + "747261646573"
                    + "08"
                    + "7b2270223a327d"
                    + "880e"
                    + "11"
                    + "03"
                    + "7439"
                    + "00"
                    + "0b"
                    + "7b2268223a22c3a9227d"
                    + "d00f";

    @Test
    void version4WithoutRecentEventsIsVersion3AndAnEmptyList() throws IOException {
        assertThat(HexFormat.of().formatHex(bytes(sample())))
                .isEqualTo("04" + VERSION_3.substring(2) + "00");
    }

    /**
     * In version 3, the samples of "move" (900 → 100.0, 1000 → 101.5) are a block of 7 bytes: scale
     * 1, then time 900 as zigzag 1800 (88 0e), value 1000 as zigzag 2000 (a0 0f), time +100 (c8 01)
     * and value +15 (1e).
     */
    @Test
    void version3SamplesAreScaledDifferences() {
        assertThat(VERSION_3).contains(MOVE_SAMPLES);
    }

    /** The samples' count, the block's length, and the block. */
    private static final String MOVE_SAMPLES = "02" + "08" + "01" + "880e" + "d00f" + "c801" + "1e";

    /** State written by the earlier releases of this serializer still reads back whole. */
    @Test
    void versions1To3AreStillRead() throws IOException {
        for (String old : List.of(VERSION_1, VERSION_2, VERSION_3)) {
            assertThat(read(HexFormat.of().parseHex(old)).toJson()).isEqualTo(sample().toJson());
            assertThat(bytes(read(HexFormat.of().parseHex(old))))
                    .as("and is written back in version 4")
                    .isEqualTo(bytes(sample()));
        }
    }

    private static final String VERSION_4 =
            "0400000000000003e88000000000000000ac020303743902056d6f7665020000000000000000000000000000000040596000000000008000000000000000020801880ed00fc8011e067370696b650740250000000000003fd0000000000000402600000000000000000000000003b60002131d1745df619f62f1c8012565e08d6e6bf7e302"
                    + RECENT_EVENTS;

    private static final String VERSION_3 =
            "0300000000000003e88000000000000000ac020303743902056d6f7665020000000000000000000000000000000040596000000000008000000000000000020801880ed00fc8011e067370696b650740250000000000003fd0000000000000402600000000000000000000000003b60002131d1745df619f62f1c8012565e08d6e6bf7e302";

    /**
     * Version 1 but for the version byte and the dedupe ring: ASCII strings encode alike, and the
     * ring is a block of 0x13 bytes in which seen-at 100 then 101 take c801 and 02 instead of two
     * ints.
     */
    private static final String VERSION_2 =
            "0200000000000003e88000000000000000ac020303743902056d6f7665020000000000000000000000000000000040596000000000008000000000000000020000000000000384405900000000000000000000000003e84059600000000000067370696b650740250000000000003fd0000000000000402600000000000000000000000003b60002131d1745df619f62f1c8012565e08d6e6bf7e302";

    private static final String VERSION_1 =
            "0100000000000003e88000000000000000ac020303743902056d6f7665020000000000000000000000000000000040596000000000008000000000000000020000000000000384405900000000000000000000000003e84059600000000000067370696b650740250000000000003fd0000000000000402600000000000000000000000003b600021d1745df619f62f1000000642565e08d6e6bf7e300000065";

    @Test
    void roundTripsAndCopiesDeeply() throws IOException {
        KeyStats s = sample();
        KeyStats back = read(bytes(s));
        assertThat(back.toJson()).isEqualTo(s.toJson());
        KeyStats copy = KeyStatsSerializer.INSTANCE.copy(s);
        copy.rule("move").add(1_100, 200, 512);
        copy.seenBefore(KeyStats.idHash("t10"), 102, 0, 64);
        assertThat(s.toJson()).as("the copy shares nothing").isEqualTo(sample().toJson());
        assertThat(bytes(read(bytes(back)))).isEqualTo(bytes(s));

        KeyStats withEvents = sampleWithRecentEvents();
        KeyStats eventsCopy = KeyStatsSerializer.INSTANCE.copy(withEvents);
        eventsCopy.remember(RecentEvent.encode("t10", 1_100, "trades", "{}"), 2);
        assertThat(withEvents.toJson())
                .as("the copy's ring is its own")
                .isEqualTo(sampleWithRecentEvents().toJson());
        assertThat(read(bytes(eventsCopy)).recentEvents())
                .extracting(e -> e.id)
                .containsExactly("t9", "t10");
    }

    /**
     * A value read in an older version says where its recent events are, so that the detector moves
     * them into the value: version 1's in a list state, versions 2's and 3's in a ring of slots.
     */
    @Test
    void aValueOfAnOlderVersionSaysWhereItsRecentEventsAre() throws IOException {
        assertThat(read(HexFormat.of().parseHex(VERSION_1)).recentIn)
                .isEqualTo(KeyStats.RecentIn.LIST);
        assertThat(read(HexFormat.of().parseHex(VERSION_2)).recentIn)
                .isEqualTo(KeyStats.RecentIn.SLOTS);
        assertThat(read(HexFormat.of().parseHex(VERSION_3)).recentIn)
                .isEqualTo(KeyStats.RecentIn.SLOTS);
        assertThat(read(HexFormat.of().parseHex(VERSION_4)).recentIn)
                .isEqualTo(KeyStats.RecentIn.VALUE);
        assertThat(
                        KeyStatsSerializer.INSTANCE.copy(read(HexFormat.of().parseHex(VERSION_1)))
                                .recentIn)
                .isEqualTo(KeyStats.RecentIn.LIST);
    }

    /** The ring keeps the newest events within its capacity, also when the capacity changes. */
    @Test
    void theRecentEventsRingKeepsTheNewestWithinItsCapacity() throws IOException {
        KeyStats s = new KeyStats();
        for (int i = 0; i < 7; i++) {
            s.remember(RecentEvent.encode("e" + i, i, "s", "{}"), 3);
            s = read(bytes(s));
        }
        assertThat(s.recentEvents()).extracting(e -> e.id).containsExactly("e4", "e5", "e6");
        assertThat(s.recentEvents()).extracting(e -> e.seq).containsExactly(4L, 5L, 6L);
        s.remember(RecentEvent.encode("e7", 7, "s", "{}"), 2);
        assertThat(s.recentEvents()).extracting(e -> e.id).containsExactly("e6", "e7");
        s.remember(RecentEvent.encode("e8", 8, "s", "{}"), 4);
        assertThat(s.recentEvents()).extracting(e -> e.id).containsExactly("e6", "e7", "e8");
    }

    /**
     * The heap estimate of the ring, kept up as events come and go, is the sum over the events it
     * holds: through drops, capacity changes, copies, round trips and a clear.
     */
    @Test
    void theRecentEventsHeapEstimateIsKeptUp() throws IOException {
        java.util.Random random = new java.util.Random(11);
        KeyStats s = new KeyStats();
        for (int i = 0; i < 500; i++) {
            String payload = "{\"x\":\"" + "y".repeat(random.nextInt(200)) + "\"}";
            s.remember(RecentEvent.encode("e" + i, i, "s", payload), 1 + random.nextInt(6));
            switch (random.nextInt(10)) {
                case 0 -> s = read(bytes(s));
                case 1 -> s = s.copy();
                case 2 -> s.clearRecent();
                default -> {}
            }
            long sum = 0;
            for (int k = 0; k < s.recentSize; k++) {
                sum += KeyStats.heapBytes(s.recentEvent(k));
            }
            assertThat(s.recentHeapBytes).as("after event %d", i).isEqualTo(sum);
        }
    }

    /** An event's bytes that do not end where its fields do are refused. */
    @Test
    void refusesACorruptRecentEvent() {
        byte[] e = RecentEvent.encode("a", 1, "s", "{}");
        byte[] longer = java.util.Arrays.copyOf(e, e.length + 1);
        assertThatThrownBy(() -> RecentEvent.decode(longer, 0))
                .hasMessageContaining("1 bytes left");
        byte[] shorter = java.util.Arrays.copyOf(e, 3);
        assertThatThrownBy(() -> RecentEvent.decode(shorter, 0)).isInstanceOf(IOException.class);
    }

    @Test
    void roundTripsTextOutsideAscii() throws IOException {
        KeyStats s = sample();
        s.lastEventId = "évènement-東京-\uD83D\uDE80";
        s.rule("règle-ü");
        assertThat(read(bytes(s)).toJson()).isEqualTo(s.toJson());
    }

    /** The wall clock may step back; seen-at differences are signed. */
    @Test
    void roundTripsSeenAtTimesThatGoBackwards() throws IOException {
        KeyStats s = new KeyStats();
        int[] times = {2_000_000_000, 5, 1_999_999_000, 0, Integer.MAX_VALUE};
        for (int i = 0; i < times.length; i++) {
            s.seenBefore(KeyStats.idHash("x" + i), times[i], Integer.MIN_VALUE, 64);
        }
        KeyStats back = read(bytes(s));
        assertThat(back.toJson()).isEqualTo(s.toJson());
        for (int i = 0; i < times.length; i++) {
            assertThat(back.seenAt[i]).isEqualTo(times[i]);
        }
    }

    /**
     * Samples of every kind read back bit for bit: whole numbers, few and many decimals, values too
     * large to scale, negative zero, and times far apart, out of order and at the ends of the
     * range.
     */
    @Test
    void roundTripsSamplesOfEveryKindBitForBit() throws IOException {
        double[][] cases = {
            {1, 2, 3, 1_000_000},
            {100.23, 100.24, 99.99, 0.01},
            {0.1, 0.2, 0.3000001},
            {Math.PI, Math.E},
            {1e300, -1e300, Double.MAX_VALUE, Double.MIN_VALUE},
            {-0.0, 0.0},
            {0x1p53, 0x1p52 + 0.5},
            {-7.25, 7.25, -123456.789012},
        };
        long[] times = {Long.MIN_VALUE, 5, Long.MAX_VALUE, -1, 0, 1_764_000_000_000L, 3, 4};
        for (double[] values : cases) {
            KeyStats s = new KeyStats();
            RuleStats r = s.rule("r");
            for (int i = 0; i < values.length; i++) {
                r.add(times[i], values[i], 512);
            }
            RuleStats back = read(bytes(s)).ruleOrNull("r");
            for (int i = 0; i < values.length; i++) {
                assertThat(back.time(i)).isEqualTo(times[i]);
                assertThat(Double.doubleToRawLongBits(back.value(i)))
                        .as("%s", values[i])
                        .isEqualTo(Double.doubleToRawLongBits(values[i]));
            }
        }
    }

    /** The scale is the fewest decimals that keep every value, and none when no scale does. */
    @Test
    void theSampleScaleIsTheFewestDecimalsThatKeepEveryValue() {
        assertThat(scaleOf(1, 2, 3)).isZero();
        assertThat(scaleOf(100.5, 100)).isEqualTo(1);
        assertThat(scaleOf(100.23, 100.2)).isEqualTo(2);
        assertThat(scaleOf(0.000001)).isEqualTo(6);
        assertThat(scaleOf(0.0000001)).as("seven decimals").isEqualTo(-1);
        assertThat(scaleOf(1, Math.PI)).isEqualTo(-1);
        assertThat(scaleOf(-0.0)).as("negative zero is kept as it is").isEqualTo(-1);
        assertThat(scaleOf(1e20)).as("beyond 2^53").isEqualTo(-1);
    }

    private static int scaleOf(double... values) {
        RuleStats r = new RuleStats("r");
        for (int i = 0; i < values.length; i++) {
            r.add(i, values[i], 512);
        }
        assertThat(r.scale)
                .as("the scale kept up while adding is the one found afresh")
                .isEqualTo(RuleStats.decimalScale(r));
        return r.scale;
    }

    /**
     * Over random values of few and many decimals, in a sliding window, the scale kept up while
     * adding always fits every sample, so that the samples read back bit for bit.
     */
    @Test
    void theKeptScaleAlwaysFitsEverySample() throws IOException {
        java.util.Random random = new java.util.Random(3);
        KeyStats s = new KeyStats();
        RuleStats r = s.rule("r");
        for (int i = 0; i < 5_000; i++) {
            double v =
                    switch (random.nextInt(20)) {
                        case 0 -> random.nextDouble();
                        case 1 -> random.nextInt(1_000_000) / 1e6;
                        case 2 -> 1e300 * random.nextDouble();
                        default -> random.nextInt(100_000) / 100.0;
                    };
            while (r.samples() >= 16) {
                r.dropOldest();
            }
            r.add(i, v, 16);
            if (r.scale != RuleStats.NO_SCALE) {
                for (int k = 0; k < r.samples(); k++) {
                    assertThat(RuleStats.readsBack(r.value(k), r.scale)).isTrue();
                }
            }
            if (i % 97 == 0) {
                RuleStats back = read(bytes(s)).ruleOrNull("r");
                for (int k = 0; k < r.samples(); k++) {
                    assertThat(Double.doubleToRawLongBits(back.value(k)))
                            .isEqualTo(Double.doubleToRawLongBits(r.value(k)));
                }
                assertThat(back.scale)
                        .isEqualTo(
                                r.scale == RuleStats.NO_SCALE
                                        ? RuleStats.decimalScale(back)
                                        : r.scale);
            }
        }
    }

    /** A sample block that does not match its header is refused, not read as other samples. */
    @Test
    void refusesACorruptSampleBlock() {
        byte[] good = HexFormat.of().parseHex(VERSION_3);
        String hex = HexFormat.of().formatHex(good);
        int at = hex.indexOf(MOVE_SAMPLES);
        assertThat(at % 2).as("at a byte boundary").isZero();
        at /= 2;
        byte[] badScale = good.clone();
        badScale[at + 2] = 9;
        assertThatThrownBy(() -> read(badScale)).hasMessageContaining("sample scale 9");
        byte[] cut = java.util.Arrays.copyOf(good, at + 5);
        assertThatThrownBy(() -> read(cut)).isInstanceOf(IOException.class);
    }

    @Test
    void refusesAFormatNewerThanItReads() {
        byte[] b = new byte[] {5, 0, 0};
        assertThatThrownBy(() -> read(b)).hasMessageContaining("format version 5");
    }

    @Test
    void snapshotRestoresACompatibleSerializer() {
        TypeSerializerSnapshot<KeyStats> snap = KeyStatsSerializer.INSTANCE.snapshotConfiguration();
        TypeSerializer<KeyStats> restored = snap.restoreSerializer();
        assertThat(restored).isEqualTo(KeyStatsSerializer.INSTANCE);
        TypeSerializerSchemaCompatibility<KeyStats> c =
                KeyStatsSerializer.INSTANCE
                        .snapshotConfiguration()
                        .resolveSchemaCompatibility(snap);
        assertThat(c.isCompatibleAsIs()).isTrue();
    }

    @Test
    void theDedupeRingRemembersTheLastWindowIdsWithinTheTtl() {
        KeyStats s = new KeyStats();
        for (int i = 0; i < 10; i++) {
            assertThat(s.seenBefore(KeyStats.idHash("e" + i), 1_000, 0, 4)).isFalse();
        }
        assertThat(s.seenBefore(KeyStats.idHash("e9"), 1_000, 0, 4)).as("in the window").isTrue();
        assertThat(s.seenBefore(KeyStats.idHash("e6"), 1_000, 0, 4)).isTrue();
        assertThat(s.seenBefore(KeyStats.idHash("e5"), 1_000, 0, 4))
                .as("pushed out of the window of 4")
                .isFalse();
        assertThat(s.seenSize).isEqualTo(4);
        assertThat(s.seenBefore(KeyStats.idHash("e9"), 5_000, 4_000, 4))
                .as("seen at 1000, before the TTL's horizon of 4000")
                .isFalse();
        assertThat(s.seenSize).as("expired ids are dropped").isEqualTo(1);
    }

    /**
     * The ring against a plain model (the last {@code window} ids, each within the TTL), over
     * random ids with a serialization round trip after each event, as the detector reads and writes
     * it.
     */
    @Test
    void theDedupeRingMatchesAModelAcrossRoundTrips() throws IOException {
        java.util.Random random = new java.util.Random(42);
        for (int window : new int[] {1, 3, 64}) {
            KeyStats s = new KeyStats();
            java.util.ArrayDeque<long[]> model = new java.util.ArrayDeque<>(); // {hash, seenAt}
            int now = 1_000;
            for (int i = 0; i < 2_000; i++) {
                now += random.nextInt(3);
                int notBefore = now - 50;
                long hash = KeyStats.idHash("e" + random.nextInt(window * 3 + 2));
                boolean expected = model.stream().anyMatch(m -> m[0] == hash && m[1] >= notBefore);
                assertThat(s.seenBefore(hash, now, notBefore, window))
                        .as("event %d", i)
                        .isEqualTo(expected);
                if (!expected) {
                    model.removeIf(m -> m[1] < notBefore);
                    while (model.size() >= window) {
                        model.removeFirst();
                    }
                    model.addLast(new long[] {hash, now});
                }
                s = read(bytes(s));
            }
        }
    }

    @Test
    void legacyStateMovesOverWithItsSamplesAndIds() {
        DetectorState old = new DetectorState();
        old.lastEventTime = 5;
        old.eventsSeen = 3;
        RuleState r = old.rule("move");
        r.count = 3;
        r.sampleTimes.addAll(List.of(1L, 2L, 3L));
        r.sampleValues.addAll(List.of(10.0, 11.0, 12.0));
        KeyStats k = KeyStats.fromLegacy(old, List.of("a", "b"), 100, 2, 64);
        assertThat(k.eventsSeen).isEqualTo(3);
        RuleStats move = k.ruleOrNull("move");
        assertThat(move.samples()).as("cut to max-samples, newest kept").isEqualTo(2);
        assertThat(move.oldestValue()).isEqualTo(11.0);
        assertThat(k.seenBefore(KeyStats.idHash("a"), 100, 0, 64)).isTrue();
    }
}
