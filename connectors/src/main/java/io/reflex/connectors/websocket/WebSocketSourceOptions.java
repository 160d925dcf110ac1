package io.reflex.connectors.websocket;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything a {@link WebSocketSource} needs, validated by {@link WebSocketSourceBuilder}.
 *
 * @param urls the endpoints, one split each
 * @param headers extra handshake headers (for example {@code Authorization}); never logged
 * @param subprotocols WebSocket subprotocols to offer
 * @param subscribeTemplate a message sent after every connect, with {@code {lastSeq}} replaced;
 *     null for none
 * @param resumeUrlTemplate the URL to reconnect to, with {@code {lastSeq}} replaced; null to
 *     reconnect to the endpoint itself
 * @param sequencePointer JSON pointer to a message's sequence number; null for none (at-most-once)
 * @param trustStore a JKS or PKCS12 truststore for {@code wss}, or null for the JVM's
 * @param trustStorePassword the truststore's password, or null
 * @param queueCapacity messages requested from the sockets ahead of the reader, per source reader,
 *     divided among its splits (at least one each), so a reader holds at most this many messages
 *     whatever its number of splits
 * @param maxMessageBytes the largest message kept whole; a larger one is handed on cut, with an
 *     error, and never buffered beyond this
 * @param pingInterval how often to ping an open connection; zero for never
 * @param idleTimeout reconnect when no message arrived for this long; zero for never
 * @param initialBackoff first reconnect delay ceiling
 * @param maxBackoff reconnect delay ceiling
 * @param stablePeriod a connection open this long resets the backoff, as does one that delivered a
 *     message
 * @param maxReconnectAttempts consecutive failed connects before giving up; 0 for never
 * @param failWhenExhausted fail the job (true) or keep trying at the maximum delay (false) once the
 *     attempts are used up
 * @param maxMessages bounded mode: stop each split after this many messages; 0 for unbounded
 * @param endMarker bounded mode: stop a split at a text message equal to this; null for none
 */
public record WebSocketSourceOptions(
        List<String> urls,
        Map<String, String> headers,
        List<String> subprotocols,
        String subscribeTemplate,
        String resumeUrlTemplate,
        String sequencePointer,
        String trustStore,
        String trustStorePassword,
        int queueCapacity,
        int maxMessageBytes,
        Duration pingInterval,
        Duration idleTimeout,
        Duration initialBackoff,
        Duration maxBackoff,
        Duration stablePeriod,
        int maxReconnectAttempts,
        boolean failWhenExhausted,
        long maxMessages,
        String endMarker)
        implements Serializable {

    /** The default of {@code maxMessageBytes}: 1 MiB, as Kafka's default record limit. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

    public boolean bounded() {
        return maxMessages > 0 || endMarker != null;
    }

    @Override
    public String toString() {
        return "WebSocketSourceOptions[urls="
                + urls
                + ", headers="
                + headers.keySet()
                + " (values hidden), sequencePointer="
                + sequencePointer
                + "]";
    }
}
