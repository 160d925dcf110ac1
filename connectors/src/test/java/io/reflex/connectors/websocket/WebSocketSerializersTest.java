package io.reflex.connectors.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.connectors.websocket.enumerator.WebSocketEnumState;
import io.reflex.connectors.websocket.enumerator.WebSocketEnumStateSerializer;
import io.reflex.connectors.websocket.split.WebSocketSplit;
import io.reflex.connectors.websocket.split.WebSocketSplitSerializer;
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
}
