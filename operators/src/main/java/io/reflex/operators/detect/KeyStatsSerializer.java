package io.reflex.operators.detect;

import io.reflex.operators.model.Codec;
import io.reflex.operators.model.StatelessSerializer;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * The serializer of {@link KeyStats}: fields in a fixed order, samples as primitives, no
 * reflection.
 *
 * <p><b>Versions.</b> Each value starts with its format version (one byte), so that a later format
 * can still read values written by an earlier one, key by key, without a migration pass. Version 2,
 * written today, is:
 *
 * <pre>
 * byte    2
 * long    lastEventTime, absenceTimer
 * varlong eventsSeen, recentCount (recent events written)
 * string  lastEventId (null allowed)
 * varint  rules; per rule: string id, varlong count, double mean, variance, last, long lastFired,
 *         varint samples, then per sample long time, double value (oldest first)
 * varint  dedupe ids, then varint the bytes of the block that follows; per id in the block: long
 *         hash (big-endian), varint seen-at (epoch seconds) as the zigzag difference from the id
 *         before (from 0 for the first), oldest first
 * </pre>
 *
 * An id's seen-at is usually within seconds of the one before it, so it takes one byte instead of
 * four: the ids are most of a busy key's value, and the value is read and written on every event.
 * Strings are {@link Codec#writeString}: a varint of the UTF-8 length plus one (0 for null), then
 * the bytes. Version 1 had strings as Flink's {@code StringValue}, which reads a character at a
 * time, and each seen-at as an int; it is still read.
 *
 * <p>{@code KeyStatsSerializerTest} pins the bytes of both versions, so that a change to the format
 * without a new version fails a test.
 */
public final class KeyStatsSerializer extends StatelessSerializer<KeyStats> {
    private static final long serialVersionUID = 1L;

    /** The format written by this version of Reflex. */
    static final int VERSION = 2;

    public static final KeyStatsSerializer INSTANCE = new KeyStatsSerializer();

    @Override
    public KeyStats createInstance() {
        return new KeyStats();
    }

    @Override
    public KeyStats copy(KeyStats from) {
        return from.copy();
    }

    @Override
    public void serialize(KeyStats s, DataOutputView out) throws IOException {
        out.writeByte(VERSION);
        out.writeLong(s.lastEventTime);
        out.writeLong(s.absenceTimer);
        writeVarLong(out, s.eventsSeen);
        writeVarLong(out, s.recentCount);
        Codec.writeString(out, s.lastEventId);
        writeVarLong(out, s.rules.length);
        for (RuleStats r : s.rules) {
            Codec.writeString(out, r.id);
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
        // The ring in one block, encoded here and written with one call: per slot, a call on the
        // view for the hash and one per varint byte showed as the hottest frame of the keyed task.
        byte[] block = new byte[s.seenSize * 13];
        int n = 0;
        int first = Math.min(s.seenSize, s.seenHashes.length - s.seenHead);
        long previous = 0;
        for (int i = 0; i < s.seenSize; i++) {
            int at = i < first ? s.seenHead + i : i - first;
            n = putLong(block, n, s.seenHashes[at]);
            n = putVarLong(block, n, zigZag(s.seenAt[at] - previous));
            previous = s.seenAt[at];
        }
        writeVarLong(out, n);
        out.write(block, 0, n);
    }

    @Override
    public KeyStats deserialize(DataInputView in) throws IOException {
        int version = in.readUnsignedByte();
        if (version != 1 && version != VERSION) {
            throw new IOException(
                    "detector state of format version "
                            + version
                            + " is newer than this Reflex reads ("
                            + VERSION
                            + "): restore it with the version that wrote it or a later one");
        }
        boolean v1 = version == 1;
        KeyStats s = new KeyStats();
        s.lastEventTime = in.readLong();
        s.absenceTimer = in.readLong();
        s.eventsSeen = readVarLong(in);
        s.recentCount = readVarLong(in);
        s.lastEventId = v1 ? StringValue.readString(in) : Codec.readString(in);
        int rules = Codec.readCount(in, 1 << 16, "detector state");
        s.rules = new RuleStats[rules];
        for (int k = 0; k < rules; k++) {
            RuleStats r = new RuleStats(v1 ? StringValue.readString(in) : Codec.readString(in));
            r.count = readVarLong(in);
            r.mean = in.readDouble();
            r.variance = in.readDouble();
            r.last = in.readDouble();
            r.lastFired = in.readLong();
            int n = Codec.readCount(in, 1 << 20, "detector state");
            r.times = new long[n];
            r.values = new double[n];
            for (int i = 0; i < n; i++) {
                r.times[i] = in.readLong();
                r.values[i] = in.readDouble();
            }
            r.size = n;
            s.rules[k] = r;
        }
        int seen = Codec.readCount(in, 1 << 20, "detector state");
        // One slot to spare, so that the event that read this value remembers its id in place.
        s.seenHashes = new long[seen + 1];
        s.seenAt = new int[seen + 1];
        if (v1) {
            for (int i = 0; i < seen; i++) {
                s.seenHashes[i] = in.readLong();
                s.seenAt[i] = in.readInt();
            }
        } else {
            byte[] block = new byte[Codec.readCount(in, seen * 13, "detector state")];
            in.readFully(block);
            int at = 0;
            long previous = 0;
            for (int i = 0; i < seen; i++) {
                if (at + 9 > block.length) {
                    throw new IOException("corrupt detector state: dedupe ring cut short");
                }
                s.seenHashes[i] = getLong(block, at);
                at += 8;
                long v = 0;
                for (int shift = 0; ; shift += 7) {
                    if (at >= block.length || shift > 63) {
                        throw new IOException("corrupt detector state: malformed seen-at");
                    }
                    int b = block[at++] & 0xFF;
                    v |= (long) (b & 0x7F) << shift;
                    if ((b & 0x80) == 0) {
                        break;
                    }
                }
                previous += unZigZag(v);
                s.seenAt[i] = (int) previous;
            }
        }
        s.seenSize = seen;
        return s;
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
        Codec.writeVarLong(out, v);
    }

    private static long readVarLong(DataInputView in) throws IOException {
        return Codec.readVarLong(in);
    }

    private static int putLong(byte[] b, int at, long v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            b[at++] = (byte) (v >>> shift);
        }
        return at;
    }

    private static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    private static int putVarLong(byte[] b, int at, long v) {
        while ((v & ~0x7FL) != 0) {
            b[at++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b[at++] = (byte) v;
        return at;
    }

    private static long zigZag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unZigZag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
