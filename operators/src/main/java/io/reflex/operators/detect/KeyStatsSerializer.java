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
 * can still read values written by an earlier one, key by key, without a migration pass. Version 4,
 * written today, is:
 *
 * <pre>
 * byte    4
 * long    lastEventTime, absenceTimer
 * varlong eventsSeen, recentCount (recent events written)
 * string  lastEventId (null allowed)
 * varint  rules; per rule: string id, varlong count, double mean, variance, last, long lastFired,
 *         varint samples; when there are samples, varint the bytes of the block that follows:
 *         byte scale (0 to 6, or 255), then per sample (oldest first) varint time as the zigzag
 *         difference from the sample before (from 0 for the first), then the value: with a scale
 *         k, varint the zigzag difference of value * 10^k from the one before (from 0), as a
 *         whole number; with 255, the double's eight bytes
 * varint  dedupe ids, then varint the bytes of the block that follows; per id in the block: long
 *         hash (big-endian), varint seen-at (epoch seconds) as the zigzag difference from the id
 *         before (from 0 for the first), oldest first
 * varint  recent events; per event, oldest first: varint its bytes, then the event: string id,
 *         source, payload, varint event time as zigzag ({@link RecentEvent#encode})
 * </pre>
 *
 * Samples are most of a busy key's value, which is read and written on every event. Their times are
 * usually close together, and prices and counts have few decimals: the scale is the fewest decimals
 * (at most 6) that give every sample's value back bit for bit, so a sample takes about four bytes
 * instead of sixteen, and any other value (a measurement with many digits, {@code -0.0}) is kept as
 * it is. An id's seen-at is likewise usually within seconds of the one before it. Strings are
 * {@link Codec#writeString}: a varint of the UTF-8 length plus one (0 for null), then the bytes.
 *
 * <p>The recent events are in the value since version 4, so that an event costs one state write
 * instead of two, and a key one RocksDB entry instead of one per recent event. Each is kept in
 * memory in the bytes written here, so writing one is a copy.
 *
 * <p>Still read: version 3 had no recent events (they were in a ring of map-state slots of their
 * own, which the detector moves into the value on the key's first event); version 2 also had each
 * sample as a long time and a double value; version 1 also had strings as Flink's {@code
 * StringValue}, which reads a character at a time, each seen-at as an int, and the recent events in
 * a list state.
 *
 * <p>{@code KeyStatsSerializerTest} pins the bytes of every version, so that a change to the format
 * without a new version fails a test.
 */
public final class KeyStatsSerializer extends StatelessSerializer<KeyStats> {
    private static final long serialVersionUID = 1L;

    /** The format written by this version of Reflex. */
    static final int VERSION = 4;

    /** The most recent events a value holds: {@code context-events} is at most 100. */
    private static final int MAX_RECENT_EVENTS = 1 << 10;

    /** The scale byte of a sample block whose values are the doubles' own bytes. */
    private static final int RAW_VALUES = 255;

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
        Codec.writeVarLong(out, s.eventsSeen);
        Codec.writeVarLong(out, s.recentCount);
        Codec.writeString(out, s.lastEventId);
        Codec.writeVarLong(out, s.rules.length);
        for (RuleStats r : s.rules) {
            Codec.writeString(out, r.id);
            Codec.writeVarLong(out, r.count);
            out.writeDouble(r.mean);
            out.writeDouble(r.variance);
            out.writeDouble(r.last);
            out.writeLong(r.lastFired);
            Codec.writeVarLong(out, r.size);
            if (r.size > 0) {
                writeSamples(r, out);
            }
        }
        Codec.writeVarLong(out, s.seenSize);
        // The ring in one block, encoded here and written with one call: per slot, a call on the
        // view for the hash and one per varint byte showed as the hottest frame of the keyed task.
        byte[] block = new byte[s.seenSize * 13];
        int n = 0;
        int first = Math.min(s.seenSize, s.seenHashes.length - s.seenHead);
        long previous = 0;
        for (int i = 0; i < s.seenSize; i++) {
            int at = i < first ? s.seenHead + i : i - first;
            n = Codec.putLong(block, n, s.seenHashes[at]);
            n = Codec.putVarLong(block, n, Codec.zigZag(s.seenAt[at] - previous));
            previous = s.seenAt[at];
        }
        Codec.writeVarLong(out, n);
        out.write(block, 0, n);
        Codec.writeVarLong(out, s.recentSize);
        for (int i = 0; i < s.recentSize; i++) {
            byte[] e = s.recentEvent(i);
            Codec.writeVarLong(out, e.length);
            out.write(e);
        }
    }

    @Override
    public KeyStats deserialize(DataInputView in) throws IOException {
        int version = Codec.readVersion(in, VERSION, "detector state");
        boolean v1 = version == 1;
        KeyStats s = new KeyStats();
        s.recentIn =
                version >= 4
                        ? KeyStats.RecentIn.VALUE
                        : v1 ? KeyStats.RecentIn.LIST : KeyStats.RecentIn.SLOTS;
        s.lastEventTime = in.readLong();
        s.absenceTimer = in.readLong();
        s.eventsSeen = Codec.readVarLong(in);
        s.recentCount = Codec.readVarLong(in);
        s.lastEventId = v1 ? StringValue.readString(in) : Codec.readString(in);
        int rules = Codec.readCount(in, 1 << 16, "detector state");
        s.rules = new RuleStats[rules];
        for (int k = 0; k < rules; k++) {
            RuleStats r = new RuleStats(v1 ? StringValue.readString(in) : Codec.readString(in));
            r.count = Codec.readVarLong(in);
            r.mean = in.readDouble();
            r.variance = in.readDouble();
            r.last = in.readDouble();
            r.lastFired = in.readLong();
            int n = Codec.readCount(in, 1 << 20, "detector state");
            r.times = new long[n];
            r.values = new double[n];
            if (version >= 3) {
                if (n > 0) {
                    readSamples(in, r, n);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    r.times[i] = in.readLong();
                    r.values[i] = in.readDouble();
                }
                r.size = n;
                r.scale = RuleStats.decimalScale(r);
            }
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
            int[] pos = {0};
            long previous = 0;
            for (int i = 0; i < seen; i++) {
                s.seenHashes[i] = Codec.getLong(block, pos);
                previous += Codec.unZigZag(Codec.getVarLong(block, pos));
                s.seenAt[i] = (int) previous;
            }
        }
        s.seenSize = seen;
        if (version >= 4) {
            int recent = Codec.readCount(in, MAX_RECENT_EVENTS, "detector state");
            s.recent = new byte[recent][];
            for (int i = 0; i < recent; i++) {
                s.recent[i] =
                        new byte[Codec.readCount(in, Codec.MAX_STRING_BYTES, "detector state")];
                in.readFully(s.recent[i]);
                s.recentHeapBytes += KeyStats.heapBytes(s.recent[i]);
            }
            s.recentSize = recent;
        }
        return s;
    }

    /** A rule's samples as one block: the scale, then time and value differences. */
    private static void writeSamples(RuleStats r, DataOutputView out) throws IOException {
        int scale = r.scale;
        byte[] block = new byte[1 + r.size * 20];
        int n = 0;
        block[n++] = (byte) (scale == RuleStats.NO_SCALE ? RAW_VALUES : scale);
        long previousTime = 0;
        long previousValue = 0;
        for (int i = 0; i < r.size; i++) {
            long t = r.time(i);
            n = Codec.putVarLong(block, n, Codec.zigZag(t - previousTime));
            previousTime = t;
            if (scale == RuleStats.NO_SCALE) {
                n = Codec.putLong(block, n, Double.doubleToRawLongBits(r.value(i)));
            } else {
                long v = RuleStats.scaled(r.value(i), scale);
                n = Codec.putVarLong(block, n, Codec.zigZag(v - previousValue));
                previousValue = v;
            }
        }
        Codec.writeVarLong(out, n);
        out.write(block, 0, n);
    }

    private static void readSamples(DataInputView in, RuleStats r, int n) throws IOException {
        byte[] block = new byte[Codec.readCount(in, 1 + n * 20, "detector state")];
        in.readFully(block);
        if (block.length == 0) {
            throw new IOException("corrupt detector state: an empty sample block");
        }
        int scale = block[0] & 0xFF;
        if (scale > RuleStats.MAX_SCALE && scale != RAW_VALUES) {
            throw new IOException("corrupt detector state: sample scale " + scale);
        }
        int[] pos = {1};
        long time = 0;
        long value = 0;
        for (int i = 0; i < n; i++) {
            time += Codec.unZigZag(Codec.getVarLong(block, pos));
            r.times[i] = time;
            if (scale == RAW_VALUES) {
                r.values[i] = Double.longBitsToDouble(Codec.getLong(block, pos));
            } else {
                value += Codec.unZigZag(Codec.getVarLong(block, pos));
                r.values[i] = RuleStats.unscaled(value, scale);
            }
        }
        r.size = n;
        r.scale = scale == RAW_VALUES ? RuleStats.decimalScale(r) : scale;
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
}
