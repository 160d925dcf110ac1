package io.reflex.operators.detect;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * The serializer of {@link KeyStats}: fields in a fixed order, samples as primitives, no
 * reflection.
 *
 * <p><b>Versions.</b> Each value starts with its format version (one byte), so that a later format
 * can still read values written by this one, key by key, without a migration pass. Version 1 is:
 *
 * <pre>
 * byte    1
 * long    lastEventTime, absenceTimer
 * varlong eventsSeen, recentCount (recent events written)
 * string  lastEventId (Flink StringValue, null allowed)
 * varint  rules; per rule: string id, varlong count, double mean, variance, last, long lastFired,
 *         varint samples, then per sample long time, double value (oldest first)
 * varint  dedupe ids; per id: long hash, int seen-at (epoch seconds), oldest first
 * </pre>
 *
 * {@code KeyStatsSerializerTest} pins the bytes of version 1, so that a change to the format
 * without a new version fails a test.
 */
public final class KeyStatsSerializer extends TypeSerializer<KeyStats> {
    private static final long serialVersionUID = 1L;

    /** The format written by this version of Reflex. */
    static final int VERSION = 1;

    public static final KeyStatsSerializer INSTANCE = new KeyStatsSerializer();

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<KeyStats> duplicate() {
        return this; // stateless
    }

    @Override
    public KeyStats createInstance() {
        return new KeyStats();
    }

    @Override
    public KeyStats copy(KeyStats from) {
        return from.copy();
    }

    @Override
    public KeyStats copy(KeyStats from, KeyStats reuse) {
        return from.copy();
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(KeyStats s, DataOutputView out) throws IOException {
        out.writeByte(VERSION);
        out.writeLong(s.lastEventTime);
        out.writeLong(s.absenceTimer);
        writeVarLong(out, s.eventsSeen);
        writeVarLong(out, s.recentCount);
        StringValue.writeString(s.lastEventId, out);
        writeVarLong(out, s.rules.length);
        for (RuleStats r : s.rules) {
            StringValue.writeString(r.id, out);
            writeVarLong(out, r.count);
            out.writeDouble(r.mean);
            out.writeDouble(r.variance);
            out.writeDouble(r.last);
            out.writeLong(r.lastFired);
            writeVarLong(out, r.size);
            for (int i = 0; i < r.size; i++) {
                out.writeLong(r.time(i));
                out.writeDouble(r.value(i));
            }
        }
        writeVarLong(out, s.seenSize);
        for (int i = 0; i < s.seenSize; i++) {
            int at = (s.seenHead + i) % s.seenHashes.length;
            out.writeLong(s.seenHashes[at]);
            out.writeInt(s.seenAt[at]);
        }
    }

    @Override
    public KeyStats deserialize(DataInputView in) throws IOException {
        int version = in.readUnsignedByte();
        if (version != 1) {
            throw new IOException(
                    "detector state of format version "
                            + version
                            + " is newer than this Reflex reads (1): restore it with the version"
                            + " that wrote it or a later one");
        }
        KeyStats s = new KeyStats();
        s.lastEventTime = in.readLong();
        s.absenceTimer = in.readLong();
        s.eventsSeen = readVarLong(in);
        s.recentCount = readVarLong(in);
        s.lastEventId = StringValue.readString(in);
        int rules = (int) readVarLong(in);
        s.rules = new RuleStats[rules];
        for (int k = 0; k < rules; k++) {
            RuleStats r = new RuleStats(StringValue.readString(in));
            r.count = readVarLong(in);
            r.mean = in.readDouble();
            r.variance = in.readDouble();
            r.last = in.readDouble();
            r.lastFired = in.readLong();
            int n = (int) readVarLong(in);
            r.times = new long[n];
            r.values = new double[n];
            for (int i = 0; i < n; i++) {
                r.times[i] = in.readLong();
                r.values[i] = in.readDouble();
            }
            r.size = n;
            s.rules[k] = r;
        }
        int seen = (int) readVarLong(in);
        s.seenHashes = new long[seen];
        s.seenAt = new int[seen];
        for (int i = 0; i < seen; i++) {
            s.seenHashes[i] = in.readLong();
            s.seenAt[i] = in.readInt();
        }
        s.seenSize = seen;
        return s;
    }

    @Override
    public KeyStats deserialize(KeyStats reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof KeyStatsSerializer;
    }

    @Override
    public int hashCode() {
        return KeyStatsSerializer.class.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<KeyStats> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer has no configuration: the format version travels with each value. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<KeyStats> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }

    private static void writeVarLong(DataOutputView out, long v) throws IOException {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    private static long readVarLong(DataInputView in) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IOException("malformed varint in detector state");
    }
}
