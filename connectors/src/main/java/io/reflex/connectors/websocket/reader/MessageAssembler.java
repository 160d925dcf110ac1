package io.reflex.connectors.websocket.reader;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Puts one WebSocket message back together from the parts the JDK client delivers (a large frame
 * arrives in parts of about 16 KiB, {@code last=false} on all but the final one), keeping at most
 * {@code maxBytes} of it. Past the limit a part is only counted, so a hostile feed cannot make the
 * reader buffer an unbounded message: memory stays at the limit however large the message.
 *
 * <p>Text is kept as a prefix of whole characters whose UTF-8 encoding fits the limit. A surrogate
 * pair counts its four bytes on its high half, so the count is exact even when the pair is split
 * across parts.
 *
 * <p>One per connection, used only on the client's listener thread: the JDK calls a listener's
 * methods one at a time.
 */
final class MessageAssembler {
    private final int maxBytes;
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

    /** UTF-8 bytes kept so far. */
    private int kept;

    /** UTF-8 bytes of the message so far, kept or not. */
    private long size;

    /** Whether a character did not fit: nothing after it is kept, so the text stays a prefix. */
    private boolean full;

    MessageAssembler(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Adds a part of a text message. */
    void text(CharSequence part) {
        int keep = 0;
        for (int i = 0; i < part.length(); i++) {
            int n = utf8Bytes(part.charAt(i));
            size += n;
            if (!full && kept + n <= maxBytes) {
                kept += n;
                keep = i + 1;
            } else {
                full = true;
            }
        }
        text.append(part, 0, keep);
    }

    /** Adds a part of a binary message. */
    void binary(ByteBuffer part) {
        int n = part.remaining();
        size += n;
        int keep = Math.min(n, maxBytes - kept);
        if (keep > 0) {
            byte[] chunk = new byte[keep];
            part.get(chunk);
            binary.writeBytes(chunk);
            kept += keep;
        }
    }

    /** The UTF-8 size of the whole message so far, including what was not kept. */
    long size() {
        return size;
    }

    /** Whether the message is larger than the limit, so that only its first part was kept. */
    boolean oversized() {
        return size > maxBytes;
    }

    /** The text kept, and starts the next message. */
    String takeText() {
        String s = text.toString();
        reset();
        return s;
    }

    /** The bytes kept, and starts the next message. */
    byte[] takeBinary() {
        byte[] b = binary.toByteArray();
        reset();
        return b;
    }

    /** Drops a message in progress: its connection is gone. */
    void reset() {
        text.setLength(0);
        binary.reset();
        kept = 0;
        size = 0;
        full = false;
    }

    private static int utf8Bytes(char c) {
        if (c < 0x80) {
            return 1;
        }
        if (c < 0x800) {
            return 2;
        }
        if (Character.isHighSurrogate(c)) {
            return 4; // with its low half
        }
        if (Character.isLowSurrogate(c)) {
            return 0; // counted with its high half
        }
        return 3;
    }
}
