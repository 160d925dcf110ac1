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
import org.apache.flink.annotation.VisibleForTesting;
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
 * <p><b>Backpressure.</b> The reader holds {@code queueCapacity} message permits ({@code
 * WebSocket.request(n)}) in all, shared by its connections: each may hold up to an even share (at
 * least one), re-divided as splits are added, and takes permits only from what the others have
 * given back. A permit comes back when {@link #fetch()} hands the message on. When the job is slow,
 * the fetcher stops calling fetch, the sockets stop reading, and TCP slows the servers down. Memory
 * stays bounded by the permits and {@code maxMessageBytes}.
 *
 * <p><b>Reconnection.</b> A connection that closes, fails or stays silent past the idle timeout is
 * reopened after an exponential backoff with full jitter, through the resume URL and subscribe
 * message with {@code {lastSeq}} replaced by the last sequence number handed on. The backoff grows
 * only across attempts that fail to connect or deliver nothing: a connection that delivered a
 * message (or stayed up for the stable period) resets it, so a feed that drops every connection
 * after a few seconds is read again at once, not after a growing pause.
 *
 * <p><b>Hostile frames.</b> A message over {@code maxMessageBytes} is not buffered beyond the
 * limit; it is handed on with its first part and an error. A frame the JDK client cannot read (a
 * text frame with invalid UTF-8 fails the connection with a {@code ProtocolException}) is reported
 * as a message with an error. With resume, the feed would send the same message again on every
 * reconnect; after two such failures at the same sequence the reader resumes one number further and
 * reports the skipped number, so the split cannot be wedged by one message.
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

    /** Permits no connection holds; below zero only while splits outnumber the capacity. */
    private final java.util.concurrent.atomic.AtomicInteger available;

    /**
     * A received message, or a wake-up (null message); {@code generation} is the connection's
     * socket count when it arrived, so that only the current socket's permits are given back.
     */
    private record Item(Connection from, WebSocketMessage message, int generation) {}

    public WebSocketSplitReader(WebSocketSourceOptions options, MetricGroup metrics) {
        this.options = options;
        this.http = client(options);
        this.inbox = new LinkedBlockingQueue<>();
        this.available = new java.util.concurrent.atomic.AtomicInteger(options.queueCapacity());
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
        List<Connection> added = new ArrayList<>();
        for (WebSocketSplit split : change.splits()) {
            Connection c = new Connection(split.url(), split.lastSeq());
            connections.put(split.url(), c);
            added.add(c);
        }
        int share = Math.max(1, options.queueCapacity() / connections.size());
        for (Connection c : connections.values()) {
            c.share = share; // a connection over it keeps what it has until messages come back
        }
        added.forEach(Connection::connect);
    }

    /** Permits granted to the sockets and not yet handed on, over every connection (tests). */
    @VisibleForTesting
    public int outstandingPermits() {
        int sum = 0;
        for (Connection c : connections.values()) {
            sum += c.outstanding.get();
        }
        return sum;
    }

    /** Messages received and not yet handed on (tests). */
    @VisibleForTesting
    public int queued() {
        return (int) inbox.stream().filter(i -> i.message() != null).count();
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
            c.handedOn(item.message(), item.generation());
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
        inbox.offer(new Item(null, null, 0));
    }

    @Override
    public void close() {
        connections.values().forEach(Connection::finish);
    }

    /** One endpoint's connection, reopened as needed. */
    private final class Connection implements WebSocket.Listener {
        final String url;
        volatile int share = 1;

        /** Permits granted to the current socket and not yet handed on. */
        final java.util.concurrent.atomic.AtomicInteger outstanding =
                new java.util.concurrent.atomic.AtomicInteger();

        volatile long lastSeq;

        /** Numbers skipped past a message that broke the connection twice; added to lastSeq. */
        volatile long skip;

        long protocolFailureSeq = Long.MIN_VALUE;
        boolean delivered;
        volatile int generation;
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

        /** UTF-8 size of the message being received, counted past what is kept. */
        private long partBytes;

        Connection(String url, long lastSeq) {
            this.url = url;
            this.lastSeq = lastSeq;
        }

        void connect() {
            nextAttemptAt = Long.MAX_VALUE;
            long resumeAt = lastSeq < 0 ? lastSeq : lastSeq + skip;
            String target =
                    options.resumeUrlTemplate() != null && resumeAt >= 0
                            ? options.resumeUrlTemplate()
                                    .replace("{lastSeq}", Long.toString(resumeAt))
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
            delivered = false;
            generation++;
            text.setLength(0);
            binary.reset();
            partBytes = 0;
            long resumeAt = lastSeq < 0 ? lastSeq : lastSeq + skip;
            if (options.subscribeTemplate() != null) {
                webSocket.sendText(
                        options.subscribeTemplate().replace("{lastSeq}", Long.toString(resumeAt)),
                        true);
            }
            topUp();
        }

        /**
         * Requests messages up to this connection's share, from the permits the reader has free; a
         * connection with none gets one even when none is free, so that no split starves.
         */
        synchronized void topUp() {
            WebSocket s = socket;
            if (!open || s == null || finished) {
                return;
            }
            int n = 0;
            while (outstanding.get() < share) {
                if (outstanding.get() == 0) {
                    available.decrementAndGet();
                } else if (available.getAndUpdate(a -> a > 0 ? a - 1 : a) <= 0) {
                    break;
                }
                outstanding.incrementAndGet();
                n++;
            }
            if (n > 0) {
                s.request(n);
            }
        }

        /** Gives this connection's permits back to the reader: its socket is gone. */
        private void releasePermits() {
            available.addAndGet(outstanding.getAndSet(0));
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            int room = options.maxMessageBytes() - (int) Math.min(partBytes, Integer.MAX_VALUE);
            partBytes += utf8Length(data);
            if (room > 0) {
                // Cut at a character, in UTF-16 units: at most room characters, each >= 1 byte.
                text.append(data, 0, Math.min(data.length(), room));
            }
            if (!last) {
                webSocket.request(1); // the rest of this message, not a new one
                return null;
            }
            String message = text.toString();
            long size = partBytes;
            text.setLength(0);
            partBytes = 0;
            long now = System.currentTimeMillis();
            if (size > options.maxMessageBytes()) {
                receive(
                        new WebSocketMessage(url, message, null, -1, now, tooLarge(size)),
                        message.length());
            } else {
                receive(
                        new WebSocketMessage(url, message, null, sequenceOf(message), now),
                        message.length());
            }
            return null;
        }

        private String tooLarge(long size) {
            return "message of "
                    + size
                    + " bytes exceeds the limit of "
                    + options.maxMessageBytes()
                    + " (max-message-bytes)";
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            int room = options.maxMessageBytes() - (int) Math.min(partBytes, Integer.MAX_VALUE);
            partBytes += data.remaining();
            if (room > 0) {
                byte[] chunk = new byte[Math.min(data.remaining(), room)];
                data.get(chunk);
                binary.writeBytes(chunk);
            }
            if (!last) {
                webSocket.request(1); // the rest of this message, not a new one
                return null;
            }
            byte[] message = binary.toByteArray();
            long size = partBytes;
            binary.reset();
            partBytes = 0;
            long now = System.currentTimeMillis();
            receive(
                    new WebSocketMessage(
                            url,
                            null,
                            message,
                            -1,
                            now,
                            size > options.maxMessageBytes() ? tooLarge(size) : null),
                    message.length);
            return null;
        }

        private void receive(WebSocketMessage message, int size) {
            delivered = true;
            lastReceivedAt = message.receivedAt();
            lastMessageAt.set(lastReceivedAt);
            messages.inc();
            bytes.inc(size);
            inbox.offer(new Item(this, message, generation));
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
            if (unreadableFrame(error) && webSocket == socket) {
                unreadable(error);
            }
            failed(webSocket, describe(error));
        }

        /**
         * The feed sent a frame the client cannot read (invalid UTF-8 in a text message, broken
         * framing) and the client dropped the connection with it. Without resume that message and
         * whatever was in flight behind it are lost: say so. With resume the feed will send the
         * same message again; the second time at the same sequence, skip one number.
         */
        private synchronized void unreadable(Throwable error) {
            long now = System.currentTimeMillis();
            String what =
                    "the feed sent a frame the WebSocket client cannot read ("
                            + describe(error)
                            + ", for example invalid UTF-8 in a text message)";
            boolean resumes =
                    sequence != null
                            && (options.resumeUrlTemplate() != null
                                    || options.subscribeTemplate() != null);
            if (!resumes || lastSeq < 0) {
                inbox.offer(
                        new Item(
                                this,
                                WebSocketMessage.failed(
                                        url,
                                        now,
                                        what
                                                + " after sequence "
                                                + lastSeq
                                                + "; the connection was lost with it"),
                                -1));
                return;
            }
            long at = lastSeq + skip;
            if (protocolFailureSeq == at) {
                skip++;
                protocolFailureSeq = Long.MIN_VALUE;
                inbox.offer(
                        new Item(
                                this,
                                WebSocketMessage.failed(
                                        url,
                                        now,
                                        what
                                                + " twice after"
                                                + " sequence "
                                                + at
                                                + "; skipped sequence "
                                                + (at + 1)),
                                -1));
                LOG.warn("{}: skipping sequence {}, which broke the connection twice", url, at + 1);
            } else {
                protocolFailureSeq = at;
            }
        }

        /**
         * On the fetcher thread: a message was handed on; give its permit back. Only new messages
         * count toward the bounded mode's limit: a resumed feed's overlap does not.
         */
        void handedOn(WebSocketMessage m, int from) {
            if (m.seq() < 0 || m.seq() > lastSeq) {
                count++;
            }
            if (m.seq() > lastSeq) {
                lastSeq = m.seq();
                skip = 0;
            }
            if (from != generation) {
                return; // a report of the reader's own, or from a socket since replaced
            }
            synchronized (this) {
                if (outstanding.get() > 0) {
                    outstanding.decrementAndGet();
                    available.incrementAndGet();
                }
            }
            topUp();
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
            releasePermits();
            lastError = error;
            long now = System.currentTimeMillis();
            if (wasOpen && (delivered || now - openedAt >= options.stablePeriod().toMillis())) {
                failures = 0; // it worked: reconnect at once, not after a grown backoff
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
            topUp(); // permits the other connections gave back
        }

        void finish() {
            finished = true;
            WebSocket s = socket;
            if (s != null) {
                s.abort();
            }
            open = false;
            synchronized (this) {
                releasePermits();
            }
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

    /**
     * Whether the client dropped the connection over a frame it could not read: the JDK reports
     * invalid UTF-8 as a {@code ProtocolException} caused by a {@code MalformedInputException}.
     */
    private static boolean unreadableFrame(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof java.net.ProtocolException
                    || e instanceof java.nio.charset.CharacterCodingException) {
                return true;
            }
        }
        return false;
    }

    private static long utf8Length(CharSequence s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
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
