package io.reflex.connectors.websocket;

/**
 * One message received from a WebSocket endpoint.
 *
 * @param url the endpoint (the split) it came from
 * @param text the text, or null for a binary message
 * @param bytes the bytes of a binary message, or null
 * @param seq the sequence number taken from the message, or -1
 * @param receivedAt wall-clock receive time, epoch milliseconds
 */
public record WebSocketMessage(String url, String text, byte[] bytes, long seq, long receivedAt) {

    /** The payload as bytes: the binary message, or the text in UTF-8. */
    public byte[] payload() {
        return bytes != null ? bytes : text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
