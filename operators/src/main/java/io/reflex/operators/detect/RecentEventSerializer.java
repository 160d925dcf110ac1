package io.reflex.operators.detect;

import io.reflex.operators.model.Codec;
import io.reflex.operators.model.StatelessSerializer;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The serializer of the recent-events ring's slots ({@link Detector#RECENT_SLOTS_STATE_NAME}): one
 * put per event, so its cost is paid on every event. Version 1:
 *
 * <pre>
 * byte    1
 * string  id, source, payload ({@link Codec#writeString}: UTF-8, null allowed)
 * long    eventTime
 * varlong seq
 * </pre>
 *
 * {@code RecentEventSerializerTest} pins the bytes of version 1.
 */
public final class RecentEventSerializer extends StatelessSerializer<RecentEvent> {
    private static final long serialVersionUID = 1L;

    static final int VERSION = 1;

    public static final RecentEventSerializer INSTANCE = new RecentEventSerializer();

    @Override
    public RecentEvent createInstance() {
        return new RecentEvent();
    }

    @Override
    public RecentEvent copy(RecentEvent from) {
        return new RecentEvent(from.id, from.eventTime, from.source, from.payload, from.seq);
    }

    @Override
    public void serialize(RecentEvent e, DataOutputView out) throws IOException {
        out.writeByte(VERSION);
        Codec.writeString(out, e.id);
        Codec.writeString(out, e.source);
        Codec.writeString(out, e.payload);
        out.writeLong(e.eventTime);
        Codec.writeVarLong(out, e.seq);
    }

    @Override
    public RecentEvent deserialize(DataInputView in) throws IOException {
        Codec.readVersion(in, VERSION, "recent event");
        RecentEvent e = new RecentEvent();
        e.id = Codec.readString(in);
        e.source = Codec.readString(in);
        e.payload = Codec.readString(in);
        e.eventTime = in.readLong();
        e.seq = Codec.readVarLong(in);
        return e;
    }

    @Override
    public TypeSerializerSnapshot<RecentEvent> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer has no configuration: the format version travels with each value. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<RecentEvent> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
