package io.reflex.connectors.websocket;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.util.Preconditions;

/** Builds a {@link WebSocketSource}; {@link #build()} checks every setting. */
public final class WebSocketSourceBuilder<T> {
    private final List<String> urls = new ArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final List<String> subprotocols = new ArrayList<>();
    private String subscribeTemplate;
    private String resumeUrlTemplate;
    private String sequencePointer;
    private String trustStore;
    private String trustStorePassword;
    private int queueCapacity = WebSocketSourceOptions.DEFAULT_QUEUE_CAPACITY;
    private int maxMessageBytes = WebSocketSourceOptions.MAX_MESSAGE_BYTES.defaultValue();
    private Duration pingInterval = WebSocketSourceOptions.PING_INTERVAL.defaultValue();
    private Duration idleTimeout = WebSocketSourceOptions.IDLE_TIMEOUT.defaultValue();
    private Duration initialBackoff = WebSocketSourceOptions.INITIAL_BACKOFF.defaultValue();
    private Duration maxBackoff = WebSocketSourceOptions.MAX_BACKOFF.defaultValue();
    private Duration stablePeriod = WebSocketSourceOptions.STABLE_AFTER.defaultValue();
    private int maxReconnectAttempts = WebSocketSourceOptions.MAX_ATTEMPTS.defaultValue();
    private boolean failWhenExhausted =
            "fail".equals(WebSocketSourceOptions.GIVE_UP.defaultValue());
    private long maxMessages;
    private String endMarker;
    private WebSocketDeserializer<T> deserializer;

    WebSocketSourceBuilder() {}

    /** An endpoint ({@code ws://} or {@code wss://}); one split each. */
    public WebSocketSourceBuilder<T> url(String url) {
        urls.add(url);
        return this;
    }

    public WebSocketSourceBuilder<T> urls(List<String> urls) {
        this.urls.addAll(urls);
        return this;
    }

    /** A handshake header, such as {@code Authorization}. Its value is never logged. */
    public WebSocketSourceBuilder<T> header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public WebSocketSourceBuilder<T> subprotocol(String protocol) {
        subprotocols.add(protocol);
        return this;
    }

    /** A message sent after every connect; {@code {lastSeq}} is replaced. */
    public WebSocketSourceBuilder<T> subscribeMessage(String template) {
        this.subscribeTemplate = template;
        return this;
    }

    /** The URL to reconnect to once a sequence is known; {@code {lastSeq}} is replaced. */
    public WebSocketSourceBuilder<T> resumeUrl(String template) {
        this.resumeUrlTemplate = template;
        return this;
    }

    /** JSON pointer to each message's sequence number. */
    public WebSocketSourceBuilder<T> sequencePointer(String pointer) {
        this.sequencePointer = pointer;
        return this;
    }

    public WebSocketSourceBuilder<T> trustStore(String path, String password) {
        this.trustStore = path;
        this.trustStorePassword = password;
        return this;
    }

    /**
     * Messages requested from the sockets ahead of the reader, per source reader: shared among its
     * splits (at least one each).
     */
    public WebSocketSourceBuilder<T> queueCapacity(int capacity) {
        this.queueCapacity = capacity;
        return this;
    }

    /**
     * The largest message kept whole, in bytes. A larger one is not buffered beyond this: it is
     * handed on with its first part and a reason, for the deserializer to dead-letter.
     */
    public WebSocketSourceBuilder<T> maxMessageBytes(int bytes) {
        this.maxMessageBytes = bytes;
        return this;
    }

    public WebSocketSourceBuilder<T> pingInterval(Duration interval) {
        this.pingInterval = interval;
        return this;
    }

    public WebSocketSourceBuilder<T> idleTimeout(Duration timeout) {
        this.idleTimeout = timeout;
        return this;
    }

    public WebSocketSourceBuilder<T> backoff(Duration initial, Duration max, Duration stable) {
        this.initialBackoff = initial;
        this.maxBackoff = max;
        this.stablePeriod = stable;
        return this;
    }

    /** Give up after this many consecutive failed connects: fail, or keep trying slowly. */
    public WebSocketSourceBuilder<T> maxReconnectAttempts(int attempts, boolean fail) {
        this.maxReconnectAttempts = attempts;
        this.failWhenExhausted = fail;
        return this;
    }

    /** Bounded mode: stop each split after {@code n} messages. */
    public WebSocketSourceBuilder<T> maxMessages(long n) {
        this.maxMessages = n;
        return this;
    }

    /** Bounded mode: stop a split at this text message. */
    public WebSocketSourceBuilder<T> endMarker(String marker) {
        this.endMarker = marker;
        return this;
    }

    public WebSocketSourceBuilder<T> deserializer(WebSocketDeserializer<T> deserializer) {
        this.deserializer = deserializer;
        return this;
    }

    public WebSocketSource<T> build() {
        Preconditions.checkArgument(!urls.isEmpty(), "Set at least one endpoint with url(...).");
        for (String u : urls) {
            String scheme = URI.create(u).getScheme();
            Preconditions.checkArgument(
                    "ws".equals(scheme) || "wss".equals(scheme),
                    "Endpoint %s must start with ws:// or wss://.",
                    u);
        }
        Preconditions.checkArgument(
                urls.stream().distinct().count() == urls.size(),
                "Endpoints must be distinct: each is one split.");
        Preconditions.checkNotNull(deserializer, "Set a deserializer with deserializer(...).");
        Preconditions.checkArgument(queueCapacity > 0, "queueCapacity must be positive.");
        Preconditions.checkArgument(maxMessageBytes > 0, "maxMessageBytes must be positive.");
        Preconditions.checkArgument(
                resumeUrlTemplate == null || sequencePointer != null,
                "A resume URL needs a sequencePointer to know where to resume.");
        Preconditions.checkArgument(
                !maxBackoff.minus(initialBackoff).isNegative(),
                "The maximum backoff must not be below the initial one.");
        return new WebSocketSource<>(
                new WebSocketSourceOptions(
                        List.copyOf(urls),
                        Map.copyOf(headers),
                        List.copyOf(subprotocols),
                        subscribeTemplate,
                        resumeUrlTemplate,
                        sequencePointer,
                        trustStore,
                        trustStorePassword,
                        queueCapacity,
                        maxMessageBytes,
                        pingInterval,
                        idleTimeout,
                        initialBackoff,
                        maxBackoff,
                        stablePeriod,
                        maxReconnectAttempts,
                        failWhenExhausted,
                        maxMessages,
                        endMarker),
                deserializer);
    }
}
