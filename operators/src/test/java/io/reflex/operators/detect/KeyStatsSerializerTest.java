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
     * The bytes of format version 1 are pinned: a change to the format that does not add a version
     * fails here, before it can make old state unreadable.
     */
    @Test
    void version1BytesArePinned() throws IOException {
        String hex = HexFormat.of().formatHex(bytes(sample()));
        assertThat(hex)
                .startsWith("01" + "00000000000003e8" + "8000000000000000" + "ac02" + "03")
                .isEqualTo(VERSION_1);
        assertThat(read(HexFormat.of().parseHex(VERSION_1)).toJson()).isEqualTo(sample().toJson());
    }

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

    @Test
    void refusesAFormatNewerThanItReads() {
        byte[] b = new byte[] {2, 0, 0};
        assertThatThrownBy(() -> read(b)).hasMessageContaining("format version 2");
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
