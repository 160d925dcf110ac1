package io.reflex.connectors.websocket.split;

import java.io.IOException;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/** Versioned serializer of {@link WebSocketSplit}. The bytes of a version never change. */
public final class WebSocketSplitSerializer implements SimpleVersionedSerializer<WebSocketSplit> {
    public static final WebSocketSplitSerializer INSTANCE = new WebSocketSplitSerializer();

    /** URL, then the last sequence number. */
    private static final int VERSION_1 = 1;

    /** URL, the last sequence number, then the messages without one taken after it. */
    private static final int VERSION_2 = 2;

    @Override
    public int getVersion() {
        return VERSION_2;
    }

    @Override
    public byte[] serialize(WebSocketSplit split) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        out.writeUTF(split.url());
        out.writeLong(split.lastSeq());
        out.writeInt(split.unsequencedAfter());
        return out.getCopyOfBuffer();
    }

    @Override
    public WebSocketSplit deserialize(int version, byte[] bytes) throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        switch (version) {
            case VERSION_1:
                return new WebSocketSplit(in.readUTF(), in.readLong());
            case VERSION_2:
                return new WebSocketSplit(in.readUTF(), in.readLong(), in.readInt());
            default:
                throw new IOException("unknown WebSocketSplit version " + version);
        }
    }
}
