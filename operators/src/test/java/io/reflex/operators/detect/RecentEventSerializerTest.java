package io.reflex.operators.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.HexFormat;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** Tests for {@link RecentEventSerializer}. */
class RecentEventSerializerTest {

    private static byte[] bytes(RecentEvent e) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        RecentEventSerializer.INSTANCE.serialize(e, out);
        return out.getCopyOfBuffer();
    }

    private static RecentEvent read(byte[] b) throws IOException {
        return RecentEventSerializer.INSTANCE.deserialize(new DataInputDeserializer(b));
    }

    /** The bytes of version 1 are pinned: a format change without a new version fails here. */
    @Test
    void version1BytesArePinned() throws IOException {
        RecentEvent e = new RecentEvent("t1", 1_000, "trades", "{\"p\":1}", 300);
        assertThat(HexFormat.of().formatHex(bytes(e)))
                .isEqualTo(
                        "01"
                                + "037431"
                                + "07747261646573"
                                + "087b2270223a317d"
                                + "00000000000003e8"
                                + "ac02");
    }

    @Test
    void roundTripsNullsAndTextOutsideAscii() throws IOException {
        RecentEvent e = new RecentEvent(null, -5, null, "{\"h\":\"東京 \uD83D\uDE80 é\"}", 1L << 40);
        RecentEvent back = read(bytes(e));
        assertThat(back.id).isNull();
        assertThat(back.source).isNull();
        assertThat(back.payload).isEqualTo(e.payload);
        assertThat(back.eventTime).isEqualTo(-5);
        assertThat(back.seq).isEqualTo(1L << 40);
    }

    @Test
    void refusesAFormatNewerThanItReadsAndCorruptLengths() {
        assertThatThrownBy(() -> read(new byte[] {2, 0})).hasMessageContaining("format version 2");
        // a string length of 2^35: corrupt, refused before any allocation
        assertThatThrownBy(
                        () ->
                                read(
                                        new byte[] {
                                            1,
                                            (byte) 0x80,
                                            (byte) 0x80,
                                            (byte) 0x80,
                                            (byte) 0x80,
                                            0x01
                                        }))
                .hasMessageContaining("corrupt string length");
    }
}
