package io.reflex.connectors.websocket;

import io.reflex.connectors.config.Option;
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

    public static final Option<List<String>> URLS =
            Option.key("urls")
                    .stringListType()
                    .required()
                    .withDescription("`ws://` or `wss://` endpoints; each is one split");

    public static final Option<Map<String, String>> HEADERS =
            Option.key("headers")
                    .mapType()
                    .noDefaultValue()
                    .withDescription(
                            "handshake headers, for example `Authorization: Bearer"
                                    + " ${FEED_TOKEN}`; their values are never logged");

    public static final Option<List<String>> SUBPROTOCOLS =
            Option.key("subprotocols")
                    .stringListType()
                    .noDefaultValue()
                    .withDescription("WebSocket subprotocols to offer");

    public static final Option<String> SUBSCRIBE_MESSAGE =
            Option.key("subscribe-message")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "a text message sent after every connect, with `{lastSeq}` replaced");

    public static final Option<String> RESUME_URL =
            Option.key("resume-url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "the URL to reconnect to once a sequence number is known, with"
                                    + " `{lastSeq}` replaced; needs `sequence`");

    public static final Option<String> SEQUENCE =
            Option.key("sequence")
                    .pointerType()
                    .noDefaultValue()
                    .withDefaultText("none: at-most-once")
                    .withDescription(
                            "JSON pointer to each message's sequence number: checkpointed, resumed"
                                    + " from, and used to drop duplicates");

    public static final Option<String> TRUSTSTORE =
            Option.key("truststore")
                    .stringType()
                    .noDefaultValue()
                    .withDefaultText("the JVM's")
                    .withDescription("a JKS or PKCS12 truststore for `wss`");

    public static final Option<String> TRUSTSTORE_PASSWORD =
            Option.key("truststore-password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("the truststore's password");

    public static final Option<Duration> PING_INTERVAL =
            Option.key("ping-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(20))
                    .withDescription(
                            "how often an open connection is pinged, which exposes half-open ones;"
                                    + " `0s` for never");

    public static final Option<Duration> IDLE_TIMEOUT =
            Option.key("idle-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(60))
                    .withDescription(
                            "reconnect when no message arrived for this long; `0s` for never");

    public static final Option<Integer> MAX_MESSAGE_BYTES =
            Option.key("max-message-bytes")
                    .intType()
                    .defaultValue(1024 * 1024)
                    .between(1, 64 * 1024 * 1024)
                    .withDefaultText("`1048576` (1 MiB, as Kafka's record limit)")
                    .withDescription(
                            "a larger message is not buffered beyond this: it goes on cut, with"
                                    + " the reason, to be dead-lettered");

    /** {@code reconnect.initial-backoff}. */
    public static final Option<Duration> INITIAL_BACKOFF =
            Option.key("initial-backoff")
                    .durationType()
                    .defaultValue(Duration.ofMillis(200))
                    .withDescription(
                            "the ceiling of the first reconnect's wait, doubled after each failed"
                                    + " one (full jitter)");

    /** {@code reconnect.max-backoff}. */
    public static final Option<Duration> MAX_BACKOFF =
            Option.key("max-backoff")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("the largest ceiling of a reconnect's wait");

    /** {@code reconnect.stable-after}. */
    public static final Option<Duration> STABLE_AFTER =
            Option.key("stable-after")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "a connection up this long resets the backoff, as does one that"
                                    + " delivered a message");

    /** {@code reconnect.max-attempts}. */
    public static final Option<Integer> MAX_ATTEMPTS =
            Option.key("max-attempts")
                    .intType()
                    .defaultValue(0)
                    .between(0, 1_000_000)
                    .withDefaultText("`0` (never give up)")
                    .withDescription("consecutive failed connects before `give-up` applies");

    /** {@code reconnect.give-up}. */
    public static final Option<String> GIVE_UP =
            Option.key("give-up")
                    .stringType()
                    .defaultValue("fail")
                    .withValues("fail", "keep-trying")
                    .withDescription(
                            "once `max-attempts` are used up: fail the split with the last error"
                                    + " (for example `handshake refused with HTTP 401`), or keep"
                                    + " trying at the largest wait");

    /** Not a job-file key: messages requested ahead of each source reader. */
    public static final int DEFAULT_QUEUE_CAPACITY = 1024;

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
