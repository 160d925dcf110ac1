package io.reflex.connectors.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.connectors.websocket.enumerator.WebSocketEnumState;
import io.reflex.connectors.websocket.enumerator.WebSocketEnumStateSerializer;
import io.reflex.connectors.websocket.split.WebSocketSplit;
import io.reflex.connectors.websocket.split.WebSocketSplitSerializer;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Round trips of the split and enumerator-state serializers. */
class WebSocketSerializersTest {

    @Test
    void splitsRoundTrip() throws Exception {
        WebSocketSplitSerializer s = WebSocketSplitSerializer.INSTANCE;
        for (WebSocketSplit split :
                List.of(
                        new WebSocketSplit("ws://h:1/a?x=ü", -1),
                        new WebSocketSplit("wss://h/b", Long.MAX_VALUE),
                        new WebSocketSplit("ws://c", 7, 3))) {
            assertThat(s.deserialize(s.getVersion(), s.serialize(split))).isEqualTo(split);
        }
    }

    @Test
    void enumeratorStateRoundTrips() throws Exception {
        WebSocketEnumStateSerializer s = new WebSocketEnumStateSerializer();
        WebSocketEnumState state =
                new WebSocketEnumState(
                        List.of(new WebSocketSplit("ws://a", 3), new WebSocketSplit("ws://b", -1)));
        assertThat(s.deserialize(s.getVersion(), s.serialize(state))).isEqualTo(state);
        WebSocketEnumState empty = new WebSocketEnumState(List.of());
        assertThat(s.deserialize(s.getVersion(), s.serialize(empty))).isEqualTo(empty);
    }

    /**
     * Each version's bytes, written by hand from the format (a split: the URL as modified UTF-8
     * with a 2-byte length, the last sequence number as 8 bytes, and from version 2 the unnumbered
     * messages after it as 4; the state: the count, then each split's version, length and bytes).
     * Checkpoints hold these bytes: a change that cannot read them fails here, not in a user's
     * restore.
     */
    @Test
    void versionBytesArePinned() throws Exception {
        WebSocketSplit split = new WebSocketSplit("ws://a", 3);
        byte[] splitV1 = HexFormat.of().parseHex("0006" + "77733a2f2f61" + "0000000000000003");
        assertThat(WebSocketSplitSerializer.INSTANCE.deserialize(1, splitV1)).isEqualTo(split);
        WebSocketSplit withUnnumbered = new WebSocketSplit("ws://a", 3, 2);
        byte[] splitV2 =
                HexFormat.of().parseHex("0006" + "77733a2f2f61" + "0000000000000003" + "00000002");
        assertThat(WebSocketSplitSerializer.INSTANCE.getVersion()).isEqualTo(2);
        assertThat(WebSocketSplitSerializer.INSTANCE.deserialize(2, splitV2))
                .isEqualTo(withUnnumbered);
        assertThat(WebSocketSplitSerializer.INSTANCE.serialize(withUnnumbered)).isEqualTo(splitV2);

        WebSocketEnumStateSerializer s = new WebSocketEnumStateSerializer();
        byte[] stateV1 =
                HexFormat.of()
                        .parseHex(
                                "00000001"
                                        + "00000001"
                                        + "00000010"
                                        + "0006"
                                        + "77733a2f2f61"
                                        + "0000000000000003");
        assertThat(s.deserialize(1, stateV1)).isEqualTo(new WebSocketEnumState(List.of(split)));
        byte[] stateNow =
                HexFormat.of()
                        .parseHex(
                                "00000001"
                                        + "00000002"
                                        + "00000014"
                                        + "0006"
                                        + "77733a2f2f61"
                                        + "0000000000000003"
                                        + "00000002");
        WebSocketEnumState state = new WebSocketEnumState(List.of(withUnnumbered));
        assertThat(s.serialize(state)).isEqualTo(stateNow);
        assertThat(s.deserialize(s.getVersion(), stateNow)).isEqualTo(state);
    }
}
