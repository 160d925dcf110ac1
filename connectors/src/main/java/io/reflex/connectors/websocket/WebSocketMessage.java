package io.reflex.connectors.websocket;

import java.nio.charset.StandardCharsets;

/**
 * One message received from a WebSocket endpoint, or a report that one could not be received.
 *
 * @param url the endpoint (the split) it came from
 * @param text the text, or null for a binary message (or a report without text)
 * @param bytes the bytes of a binary message, or null
 * @param seq the sequence number taken from the message, or -1
 * @param receivedAt wall-clock receive time, epoch milliseconds
 * @param error null for a message as sent; otherwise why it cannot be used as it is, for example
 *     {@code message of 5242880 bytes exceeds the limit of 1048576} (then {@code text} or {@code
 *     bytes} holds its first part) or a connection the feed broke with an unreadable frame.
 *     Deserializers turn such a message into a dead letter
 */
public record WebSocketMessage(
        String url, String text, byte[] bytes, long seq, long receivedAt, String error) {

    /** A message as sent. */
    public WebSocketMessage(String url, String text, byte[] bytes, long seq, long receivedAt) {
        this(url, text, bytes, seq, receivedAt, null);
    }

    /** A report that a message could not be received as sent. */
    public static WebSocketMessage failed(String url, long receivedAt, String error) {
        return new WebSocketMessage(url, null, null, -1, receivedAt, error);
    }

    /** The payload as bytes: the binary message, the text in UTF-8, or empty. */
    public byte[] payload() {
        if (bytes != null) {
            return bytes;
        }
        return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
    }
}
