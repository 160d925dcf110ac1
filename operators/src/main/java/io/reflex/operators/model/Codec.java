package io.reflex.operators.model;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The primitives of Reflex's own serializers: unsigned varints, and strings as a varint length and
 * their UTF-8 bytes in one bulk copy. Flink's {@code StringValue} writes and reads a string one
 * character at a time through the view, which showed in the keyed task's profile for every event.
 */
public final class Codec {
    /** The longest string a serializer reads; a longer length means corrupt input. */
    public static final int MAX_STRING_BYTES = 64 * 1024 * 1024;

    /** A long at any offset of a byte array, big-endian, in one access instead of eight. */
    private static final VarHandle BIG_ENDIAN_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private Codec() {}

    public static void writeVarLong(DataOutputView out, long v) throws IOException {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    public static long readVarLong(DataInputView in) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IOException("malformed varint");
    }

    /**
     * The format version byte of a value, refused with a message naming {@code what} when it is not
     * between 1 and {@code newest}, the version this Reflex writes.
     */
    public static int readVersion(DataInputView in, int newest, String what) throws IOException {
        int version = in.readUnsignedByte();
        if (version < 1 || version > newest) {
            throw new IOException(
                    what
                            + " of format version "
                            + version
                            + " is newer than this Reflex reads ("
                            + newest
                            + "): restore it with the version that wrote it or a later one");
        }
        return version;
    }

    /** Writes {@code v} as a varint into {@code b} at {@code at}; returns the next position. */
    public static int putVarLong(byte[] b, int at, long v) {
        while ((v & ~0x7FL) != 0) {
            b[at++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b[at++] = (byte) v;
        return at;
    }

    /**
     * Reads a varint from {@code b} at {@code pos[0]}, advancing it; corrupt or cut-short input is
     * an {@code IOException}.
     */
    public static long getVarLong(byte[] b, int[] pos) throws IOException {
        int at = pos[0];
        long v = 0;
        for (int shift = 0; shift < 64 && at < b.length; shift += 7) {
            int x = b[at++];
            v |= (long) (x & 0x7F) << shift;
            if (x >= 0) {
                pos[0] = at;
                return v;
            }
        }
        throw new IOException("malformed varint");
    }

    /** Writes {@code v} big-endian into {@code b} at {@code at}; returns the next position. */
    public static int putLong(byte[] b, int at, long v) {
        BIG_ENDIAN_LONG.set(b, at, v);
        return at + 8;
    }

    /** Reads a big-endian long from {@code b} at {@code pos[0]}, advancing it. */
    public static long getLong(byte[] b, int[] pos) throws IOException {
        if (pos[0] + 8 > b.length) {
            throw new IOException("input cut short");
        }
        long v = (long) BIG_ENDIAN_LONG.get(b, pos[0]);
        pos[0] += 8;
        return v;
    }

    /** Signed to unsigned, so that small negative numbers stay short as varints. */
    public static long zigZag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    public static long unZigZag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }

    /** A varint count of at most {@code max}, or an {@code IOException} naming {@code what}. */
    public static int readCount(DataInputView in, int max, String what) throws IOException {
        long n = readVarLong(in);
        if (n < 0 || n > max) {
            throw new IOException("corrupt " + what + ": count " + n + " over " + max);
        }
        return (int) n;
    }

    /** {@code s} as varint (UTF-8 length + 1, 0 for null) and its UTF-8 bytes. */
    public static void writeString(DataOutputView out, String s) throws IOException {
        if (s == null) {
            out.writeByte(0);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        writeVarLong(out, b.length + 1L);
        out.write(b);
    }

    /** A string written by {@link #writeString}. */
    public static String readString(DataInputView in) throws IOException {
        long n = readVarLong(in) - 1;
        if (n < 0) {
            return null;
        }
        if (n > MAX_STRING_BYTES) {
            throw new IOException("corrupt string length " + n);
        }
        byte[] b = new byte[(int) n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The UTF-8 bytes of {@code s}, or null for null: for {@link #putString}. */
    public static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** The bytes {@link #putVarLong} writes for {@code v}. */
    public static int varLongBytes(long v) {
        return v == 0 ? 1 : (63 - Long.numberOfLeadingZeros(v)) / 7 + 1;
    }

    /** The bytes {@link #putString} writes for {@code utf8}. */
    public static int stringBytes(byte[] utf8) {
        return utf8 == null ? 1 : varLongBytes(utf8.length + 1L) + utf8.length;
    }

    /**
     * Writes UTF-8 bytes (or null) into {@code b} at {@code at} as {@link #writeString} writes a
     * string; returns the next position.
     */
    public static int putString(byte[] b, int at, byte[] utf8) {
        if (utf8 == null) {
            b[at] = 0;
            return at + 1;
        }
        at = putVarLong(b, at, utf8.length + 1L);
        System.arraycopy(utf8, 0, b, at, utf8.length);
        return at + utf8.length;
    }

    /** A string written by {@link #putString}, read from {@code b} at {@code pos[0]}. */
    public static String getString(byte[] b, int[] pos) throws IOException {
        long n = getVarLong(b, pos) - 1;
        if (n < 0) {
            return null;
        }
        if (n > b.length - pos[0]) {
            throw new IOException("input cut short");
        }
        String s = new String(b, pos[0], (int) n, StandardCharsets.UTF_8);
        pos[0] += (int) n;
        return s;
    }

    /** Copies one string written by {@link #writeString} from {@code in} to {@code out}. */
    public static void copyString(DataInputView in, DataOutputView out) throws IOException {
        writeString(out, readString(in));
    }
}
