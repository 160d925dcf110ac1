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
                        new WebSocketSplit("wss://h/b", Long.MAX_VALUE))) {
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
     * Version 1's bytes, written by hand from the format (a split: the URL as modified UTF-8 with a
     * 2-byte length, then the last sequence number as 8 bytes; the state: the count, then each
     * split's version, length and bytes). Checkpoints hold these bytes: a change that cannot read
     * them fails here, not in a user's restore.
     */
    @Test
    void version1BytesArePinned() throws Exception {
        WebSocketSplit split = new WebSocketSplit("ws://a", 3);
        byte[] splitV1 = HexFormat.of().parseHex("0006" + "77733a2f2f61" + "0000000000000003");
        assertThat(WebSocketSplitSerializer.INSTANCE.deserialize(1, splitV1)).isEqualTo(split);
        assertThat(WebSocketSplitSerializer.INSTANCE.serialize(split)).isEqualTo(splitV1);

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
        WebSocketEnumState state = new WebSocketEnumState(List.of(split));
        assertThat(s.deserialize(1, stateV1)).isEqualTo(state);
        assertThat(s.serialize(state)).isEqualTo(stateV1);
    }
}
