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

    private static byte[] bytes(KeyStats s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        KeyStatsSerializer.INSTANCE.serialize(s, out);
        return out.getCopyOfBuffer();
    }

    private static KeyStats read(byte[] b) throws IOException {
        return KeyStatsSerializer.INSTANCE.deserialize(new DataInputDeserializer(b));
    }

    /**
     * The bytes of format version 2, written today, are pinned: a change to the format that does
     * not add a version fails here, before it can make old state unreadable.
     */
    @Test
    void version2BytesArePinned() throws IOException {
        String hex = HexFormat.of().formatHex(bytes(sample()));
        assertThat(hex)
                .startsWith("02" + "00000000000003e8" + "8000000000000000" + "ac02" + "03")
                .isEqualTo(VERSION_2);
        assertThat(read(HexFormat.of().parseHex(VERSION_2)).toJson()).isEqualTo(sample().toJson());
    }

    /** State written by the first release of this serializer still reads back whole. */
    @Test
    void version1IsStillRead() throws IOException {
        assertThat(read(HexFormat.of().parseHex(VERSION_1)).toJson()).isEqualTo(sample().toJson());
        assertThat(bytes(read(HexFormat.of().parseHex(VERSION_1))))
                .as("and is written back in version 2")
                .isEqualTo(HexFormat.of().parseHex(VERSION_2));
    }

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
    }

    /**
     * Version 1 was written while the recent events were a list state of their own: a value read in
     * it says so, so that the detector moves them into the ring; version 2 does not.
     */
    @Test
    void aVersion1ValueSaysItsRecentEventsAreInTheList() throws IOException {
        assertThat(read(HexFormat.of().parseHex(VERSION_1)).recentInList).isTrue();
        assertThat(read(HexFormat.of().parseHex(VERSION_2)).recentInList).isFalse();
        assertThat(
                        KeyStatsSerializer.INSTANCE.copy(read(HexFormat.of().parseHex(VERSION_1)))
                                .recentInList)
                .isTrue();
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

    @Test
    void refusesAFormatNewerThanItReads() {
        byte[] b = new byte[] {3, 0, 0};
        assertThatThrownBy(() -> read(b)).hasMessageContaining("format version 3");
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
