package io.reflex.connectors.websocket.enumerator;

import io.reflex.connectors.websocket.split.WebSocketSplit;
import io.reflex.connectors.websocket.split.WebSocketSplitSerializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/** Versioned serializer of {@link WebSocketEnumState}. The bytes of a version never change. */
public final class WebSocketEnumStateSerializer
        implements SimpleVersionedSerializer<WebSocketEnumState> {

    /** Count, then each split as its serializer's version and bytes. */
    private static final int VERSION_1 = 1;

    @Override
    public int getVersion() {
        return VERSION_1;
    }

    @Override
    public byte[] serialize(WebSocketEnumState state) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(128);
        out.writeInt(state.unassigned().size());
        for (WebSocketSplit split : state.unassigned()) {
            byte[] bytes = WebSocketSplitSerializer.INSTANCE.serialize(split);
            out.writeInt(WebSocketSplitSerializer.INSTANCE.getVersion());
            out.writeInt(bytes.length);
            out.write(bytes);
        }
        return out.getCopyOfBuffer();
    }

    @Override
    public WebSocketEnumState deserialize(int version, byte[] bytes) throws IOException {
        if (version != VERSION_1) {
            throw new IOException("unknown WebSocketEnumState version " + version);
        }
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        int n = in.readInt();
        List<WebSocketSplit> splits = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int splitVersion = in.readInt();
            byte[] split = new byte[in.readInt()];
            in.readFully(split);
            splits.add(WebSocketSplitSerializer.INSTANCE.deserialize(splitVersion, split));
        }
        return new WebSocketEnumState(splits);
    }
}
