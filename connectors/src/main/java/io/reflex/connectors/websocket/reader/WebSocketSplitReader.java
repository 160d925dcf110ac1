package io.reflex.connectors.websocket.reader;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.connectors.websocket.WebSocketMessage;
import io.reflex.connectors.websocket.WebSocketSourceOptions;
import io.reflex.connectors.websocket.split.WebSocketSplit;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.flink.connector.base.source.reader.RecordsBySplits;
import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;
import org.apache.flink.connector.base.source.reader.splitreader.SplitReader;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsAddition;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsChange;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the reader's endpoints with the JDK's {@code java.net.http.WebSocket}, on the fetcher
 * thread.
 *
 * <p><b>Backpressure.</b> Each connection is granted a bounded number of message permits ({@code
 * WebSocket.request(n)}); a permit comes back only when {@link #fetch()} hands the message on. When
 * the job is slow, the fetcher stops calling fetch, the socket stops reading, and TCP slows the
 * server down. Memory stays bounded by the permits.
 *
 * <p><b>Reconnection.</b> A connection that closes, fails or stays silent past the idle timeout is
 * reopened after an exponential backoff with full jitter, reset after a stable period, through the
 * resume URL and subscribe message with {@code {lastSeq}} replaced by the last sequence number
 * handed on.
 */
public final class WebSocketSplitReader implements SplitReader<WebSocketMessage, WebSocketSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketSplitReader.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long POLL_MS = 100;

    private final WebSocketSourceOptions options;
    private final HttpClient http;
    private final Map<String, Connection> connections = new LinkedHashMap<>();
    private final BlockingQueue<Item> inbox;
    private final JsonPointer sequence;
    private final Counter connects;
    private final Counter reconnects;
    private final Counter messages;
    private final Counter bytes;
    private final AtomicLong lastMessageAt = new AtomicLong();

    /** A received message, or a wake-up (null message). */
    private record Item(Connection from, WebSocketMessage message) {}

    public WebSocketSplitReader(WebSocketSourceOptions options, MetricGroup metrics) {
        this.options = options;
        this.http = client(options);
        this.inbox = new LinkedBlockingQueue<>();
        this.sequence =
                options.sequencePointer() == null
                        ? null
                        : JsonPointer.compile(options.sequencePointer());
        MetricGroup group = metrics.addGroup("websocket");
        connects = group.counter("connects");
        reconnects = group.counter("reconnects");
        messages = group.counter("messages");
        bytes = group.counter("bytes");
        group.gauge("connected", () -> connections.values().stream().filter(c -> c.open).count());
        group.gauge("queueSize", inbox::size);
        group.gauge(
                "lastMessageAgeMs",
                () ->
                        lastMessageAt.get() == 0
                                ? -1L
                                : System.currentTimeMillis() - lastMessageAt.get());
    }

    private static HttpClient client(WebSocketSourceOptions options) {
        HttpClient.Builder b = HttpClient.newBuilder();
        if (options.trustStore() != null) {
            try (InputStream in = new FileInputStream(options.trustStore())) {
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                char[] password =
                        options.trustStorePassword() == null
                                ? null
                                : options.trustStorePassword().toCharArray();
                ks.load(in, password);
                TrustManagerFactory tmf =
                        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                SSLContext ssl = SSLContext.getInstance("TLS");
                ssl.init(null, tmf.getTrustManagers(), null);
                b.sslContext(ssl);
            } catch (Exception e) {
                throw new IllegalArgumentException(
                        "cannot load the truststore "
                                + options.trustStore()
                                + ": "
                                + e.getMessage(),
                        e);
            }
        }
        return b.build();
    }

    @Override
    public void handleSplitsChanges(SplitsChange<WebSocketSplit> change) {
        if (!(change instanceof SplitsAddition)) {
            return;
        }
        int permits =
                Math.max(
                        1,
                        options.queueCapacity()
                                / Math.max(1, connections.size() + change.splits().size()));
        for (WebSocketSplit split : change.splits()) {
            Connection c = new Connection(split.url(), split.lastSeq(), permits);
            connections.put(split.url(), c);
            c.connect();
        }
    }

    @Override
    public RecordsWithSplitIds<WebSocketMessage> fetch() throws IOException {
        long now = System.currentTimeMillis();
        for (Connection c : connections.values()) {
            c.maintain(now);
        }
        RecordsBySplits.Builder<WebSocketMessage> out = new RecordsBySplits.Builder<>();
        List<Item> taken = new ArrayList<>();
        try {
            Item first = inbox.poll(POLL_MS, TimeUnit.MILLISECONDS);
            if (first != null) {
                taken.add(first);
                inbox.drainTo(taken, 1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return out.build();
        }
        for (Item item : taken) {
            if (item.message() == null) {
                continue; // a wake-up
            }
            Connection c = item.from();
            if (c.finished) {
                continue;
            }
            c.handedOn(item.message());
            out.add(c.url, item.message());
            if (options.bounded()
                    && (c.count >= options.maxMessages() && options.maxMessages() > 0
                            || item.message().text() != null
                                    && item.message().text().equals(options.endMarker()))) {
                c.finish();
                out.addFinishedSplit(c.url);
            }
        }
        return out.build();
    }

    @Override
    public void wakeUp() {
        inbox.offer(new Item(null, null));
    }

    @Override
    public void close() {
        connections.values().forEach(Connection::finish);
    }

    /** One endpoint's connection, reopened as needed. */
    private final class Connection implements WebSocket.Listener {
        final String url;
        final int permits;
        volatile long lastSeq;
        volatile boolean open;
        volatile boolean finished;
        volatile WebSocket socket;
        volatile long lastReceivedAt;
        long count;
        int failures;
        long openedAt;
        long nextAttemptAt = Long.MAX_VALUE;
        long nextPingAt;
        String lastError;
        private final StringBuilder text = new StringBuilder();
        private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        Connection(String url, long lastSeq, int permits) {
            this.url = url;
            this.lastSeq = lastSeq;
            this.permits = permits;
        }

        void connect() {
            nextAttemptAt = Long.MAX_VALUE;
            String target =
                    options.resumeUrlTemplate() != null && lastSeq >= 0
                            ? options.resumeUrlTemplate()
                                    .replace("{lastSeq}", Long.toString(lastSeq))
                            : url;
            WebSocket.Builder b = http.newWebSocketBuilder();
            options.headers().forEach(b::header);
            if (!options.subprotocols().isEmpty()) {
                List<String> p = options.subprotocols();
                b.subprotocols(p.get(0), p.subList(1, p.size()).toArray(new String[0]));
            }
            b.buildAsync(URI.create(target), this)
                    .whenComplete(
                            (ws, error) -> {
                                if (error != null) {
                                    failed(null, describe(error));
                                }
                            });
        }

        @Override
        public synchronized void onOpen(WebSocket webSocket) {
            socket = webSocket;
            open = true;
            openedAt = System.currentTimeMillis();
            lastReceivedAt = openedAt;
            connects.inc();
            LOG.info("connected to {}{}", url, lastSeq >= 0 ? " after sequence " + lastSeq : "");
            if (options.subscribeTemplate() != null) {
                webSocket.sendText(
                        options.subscribeTemplate().replace("{lastSeq}", Long.toString(lastSeq)),
                        true);
            }
            webSocket.request(permits);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (!last) {
                webSocket.request(1);
                return null;
            }
            String message = text.toString();
            text.setLength(0);
            receive(
                    new WebSocketMessage(
                            url, message, null, sequenceOf(message), System.currentTimeMillis()),
                    message.length());
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            binary.writeBytes(chunk);
            if (!last) {
                webSocket.request(1);
                return null;
            }
            byte[] message = binary.toByteArray();
            binary.reset();
            receive(
                    new WebSocketMessage(url, null, message, -1, System.currentTimeMillis()),
                    message.length);
            return null;
        }

        private void receive(WebSocketMessage message, int size) {
            lastReceivedAt = message.receivedAt();
            lastMessageAt.set(lastReceivedAt);
            messages.inc();
            bytes.inc(size);
            inbox.offer(new Item(this, message));
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            failed(
                    webSocket,
                    "closed by the server ("
                            + statusCode
                            + (reason.isEmpty() ? "" : " " + reason)
                            + ")");
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            failed(webSocket, describe(error));
        }

        /**
         * On the fetcher thread: a message was handed on; give its permit back. Only new messages
         * count toward the bounded mode's limit: a resumed feed's overlap does not.
         */
        void handedOn(WebSocketMessage m) {
            if (m.seq() < 0 || m.seq() > lastSeq) {
                count++;
            }
            if (m.seq() > lastSeq) {
                lastSeq = m.seq();
            }
            WebSocket s = socket;
            if (open && s != null) {
                s.request(1);
            }
        }

        /**
         * A connection closed or failed; {@code source} is its socket, or null when the connect
         * itself failed. Reports about a socket that was already replaced are ignored, so one
         * failure schedules one reconnect.
         */
        private synchronized void failed(WebSocket source, String error) {
            if (finished
                    || source != null && source != socket
                    || source == null && (open || nextAttemptAt != Long.MAX_VALUE)) {
                return;
            }
            boolean wasOpen = open;
            open = false;
            socket = null;
            lastError = error;
            long now = System.currentTimeMillis();
            if (wasOpen && now - openedAt >= options.stablePeriod().toMillis()) {
                failures = 0;
            }
            failures++;
            long ceiling =
                    Math.min(
                            options.maxBackoff().toMillis(),
                            options.initialBackoff().toMillis() << Math.min(20, failures - 1));
            long delay = ThreadLocalRandom.current().nextLong(ceiling + 1);
            nextAttemptAt = now + delay;
            reconnects.inc();
            LOG.warn(
                    "connection to {} lost ({}); reconnect attempt {} in {} ms",
                    url,
                    error,
                    failures,
                    delay);
            wakeUp();
        }

        /** On the fetcher thread: reconnect when due, ping, and enforce the idle timeout. */
        void maintain(long now) throws IOException {
            if (finished) {
                return;
            }
            synchronized (this) {
                if (!open && now >= nextAttemptAt) {
                    if (options.maxReconnectAttempts() > 0
                            && failures > options.maxReconnectAttempts()) {
                        if (options.failWhenExhausted()) {
                            throw new IOException(
                                    "WebSocket "
                                            + url
                                            + " failed "
                                            + (failures)
                                            + " connection attempts; last error: "
                                            + lastError);
                        }
                    }
                    connect();
                    return;
                }
            }
            WebSocket s = socket;
            if (!open || s == null) {
                return;
            }
            if (!options.idleTimeout().isZero()
                    && now - lastReceivedAt > options.idleTimeout().toMillis()) {
                failed(s, "no message for " + options.idleTimeout().toMillis() + " ms");
                s.abort();
                return;
            }
            if (!options.pingInterval().isZero() && now >= nextPingAt) {
                nextPingAt = now + options.pingInterval().toMillis();
                s.sendPing(ByteBuffer.allocate(0));
            }
        }

        void finish() {
            finished = true;
            WebSocket s = socket;
            if (s != null) {
                s.abort();
            }
            open = false;
        }

        private long sequenceOf(String message) {
            if (sequence == null) {
                return -1;
            }
            try {
                JsonNode n = MAPPER.readTree(message).at(sequence);
                return n.canConvertToLong() ? n.longValue() : -1;
            } catch (IOException | RuntimeException e) {
                return -1; // not JSON: the deserializer will say so
            }
        }
    }

    private static String describe(Throwable error) {
        Throwable e = error;
        while (e.getCause() != null && !(e instanceof WebSocketHandshakeException)) {
            e = e.getCause();
        }
        if (e instanceof WebSocketHandshakeException h) {
            return "handshake refused with HTTP " + h.getResponse().statusCode();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
