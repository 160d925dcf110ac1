package io.reflex.operators.detect;

import io.reflex.operators.model.Codec;
import java.io.IOException;

/**
 * A recent event kept for trigger context. A Flink POJO, as the state of the formats before {@link
 * KeyStats} held the recent events; {@code KeyStats} keeps each one {@link #encode encoded}.
 */
public class RecentEvent {
    public String id;
    public long eventTime;
    public String source;

    /** The payload, cut to the context limit. */
    public String payload;

    /**
     * The event's place among its key's recent events, 0 for the first: it orders the slots of the
     * ring ({@link Detector#RECENT_SLOTS_STATE_NAME}). Added after 0.1, whose events read back with
     * 0, in the order of their list.
     */
    public long seq;

    public RecentEvent() {}

    public RecentEvent(String id, long eventTime, String source, String payload) {
        this.id = id;
        this.eventTime = eventTime;
        this.source = source;
        this.payload = payload;
    }

    public RecentEvent(String id, long eventTime, String source, String payload, long seq) {
        this(id, eventTime, source, payload);
        this.seq = seq;
    }

    /**
     * An event as {@link KeyStats} keeps it, in the bytes its serializer writes: id, source and
     * payload as {@link Codec#putString}, then the event time as a zigzag varint. Encoded once,
     * when the event arrives, it is copied as it is on every write of its key's value after that.
     */
    static byte[] encode(String id, long eventTime, String source, String payload) {
        byte[] i = Codec.utf8(id);
        byte[] s = Codec.utf8(source);
        byte[] p = Codec.utf8(payload);
        long t = Codec.zigZag(eventTime);
        byte[] b =
                new byte
                        [Codec.stringBytes(i)
                                + Codec.stringBytes(s)
                                + Codec.stringBytes(p)
                                + Codec.varLongBytes(t)];
        int n = Codec.putString(b, 0, i);
        n = Codec.putString(b, n, s);
        n = Codec.putString(b, n, p);
        Codec.putVarLong(b, n, t);
        return b;
    }

    /** An event {@link #encode encoded}, with its place {@code seq} among its key's events. */
    static RecentEvent decode(byte[] b, long seq) throws IOException {
        int[] pos = {0};
        RecentEvent e = new RecentEvent();
        e.id = Codec.getString(b, pos);
        e.source = Codec.getString(b, pos);
        e.payload = Codec.getString(b, pos);
        e.eventTime = Codec.unZigZag(Codec.getVarLong(b, pos));
        if (pos[0] != b.length) {
            throw new IOException("corrupt recent event: " + (b.length - pos[0]) + " bytes left");
        }
        e.seq = seq;
        return e;
    }
}
