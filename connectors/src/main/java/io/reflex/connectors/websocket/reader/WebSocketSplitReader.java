package io.reflex.connectors.websocket.reader;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonParser.NumberType;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.filter.FilteringParserDelegate;
import com.fasterxml.jackson.core.filter.JsonPointerBasedFilter;
import com.fasterxml.jackson.core.filter.TokenFilter;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.connectors.util.Backoff;
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
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.apache.flink.util.ExceptionUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the reader's endpoints with the JDK's {@code java.net.http.WebSocket}, on the fetcher
 * thread.
 *
 * <p><b>Backpressure.</b> The reader holds {@code queueCapacity} message permits ({@code
 * WebSocket.request(n)}) in all, shared by its connections: each may hold up to an even share (at
 * least one), re-divided as splits are added, and takes permits only from what the others have
 * given back. A permit is held from the request until {@link #fetch()} hands the message on, even
 * when the socket that received it is gone, so a reconnect never doubles what is queued. When the
 * job is slow, the fetcher stops calling fetch, the sockets stop reading, and TCP slows the servers
 * down. Memory stays bounded by the permits times {@code maxMessageBytes}.
 *
 * <p><b>Reconnection.</b> A connection that closes, fails or stays silent past the idle timeout is
 * reopened after an exponential backoff with full jitter, through the resume URL and subscribe
 * message with {@code {lastSeq}} replaced by the last sequence number received. The backoff grows
 * only across attempts that fail to connect or deliver nothing: a connection that delivered a
 * message (or stayed up for the stable period) resets it, so a feed that drops every connection
 * after a few seconds is read again at once, not after a growing pause.
 *
 * <p><b>Hostile frames.</b> A message over {@code maxMessageBytes} is not buffered beyond the limit
 * ({@link MessageAssembler}); it is handed on with its first part and an error. A binary message is
 * handed on as bytes, for the deserializer to judge. The JDK client fails the connection over a
 * text frame with invalid UTF-8 ({@code onError} with a {@code ProtocolException}, no {@code
 * onClose}); the reader reports that as a message with an error. With resume the feed sends the
 * same message again on every reconnect: after two failures in a row after the same sequence number
 * the reader resumes one number further and reports the skipped number, so one message cannot wedge
 * the split; reconnecting meanwhile follows the normal backoff.
 */
public final class WebSocketSplitReader implements SplitReader<WebSocketMessage, WebSocketSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketSplitReader.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long POLL_MS = 100;

    private final WebSocketSourceOptions options;
    private final Backoff backoff;
    private final HttpClient http;
    private final Map<String, Connection> connections = new LinkedHashMap<>();
    private final BlockingQueue<Item> inbox;
    private final JsonPointer sequence;
    private final Counter connects;
    private final Counter reconnects;
    private final Counter messages;
    private final Counter bytes;
    private final Counter replays;
    private final AtomicLong lastMessageAt = new AtomicLong();

    /** Permits no connection holds; below zero only while splits outnumber the capacity. */
    private final AtomicInteger available;

    /**
     * A received message, a report of the reader's own, or a wake-up (null message); {@code permit}
     * says whether it holds one of the connection's permits, given back when it is handed on.
     */
    private record Item(Connection from, WebSocketMessage message, boolean permit) {}

    public WebSocketSplitReader(WebSocketSourceOptions options, MetricGroup metrics) {
        this.options = options;
        this.backoff = new Backoff(options.initialBackoff(), options.maxBackoff());
        this.http = client(options);
        this.inbox = new LinkedBlockingQueue<>();
        this.available = new AtomicInteger(options.queueCapacity());
        this.sequence =
                options.sequencePointer() == null
                        ? null
                        : JsonPointer.compile(options.sequencePointer());
        MetricGroup group = metrics.addGroup("websocket");
        connects = group.counter("connects");
        reconnects = group.counter("reconnects");
        messages = group.counter("messages");
        bytes = group.counter("bytes");
        replays = group.counter("unnumberedReplaysDropped");
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
            Connection c = new Connection(split.url(), split.lastSeq(), split.unsequencedAfter());
            connections.put(split.url(), c);
            added.add(c);
        }
        // Even shares that add up to the capacity; one each when splits outnumber it. A connection
        // over its new share keeps what it holds until its messages are handed on.
        int n = connections.size();
        int i = 0;
        for (Connection c : connections.values()) {
            int extra = i++ < options.queueCapacity() % n ? 1 : 0;
            c.share = Math.max(1, options.queueCapacity() / n + extra);
        }
        added.forEach(Connection::connect);
    }

    /**
     * Permits granted to the sockets and not yet handed on, over every connection: requested from a
     * socket, or used by a message still queued (tests).
     */
    @VisibleForTesting
    public int outstandingPermits() {
        int sum = 0;
        for (Connection c : connections.values()) {
            sum += c.holding();
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
            c.handedOn(item.message(), item.permit());
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
        inbox.offer(new Item(null, null, false));
    }

    @Override
    public void close() {
        connections.values().forEach(Connection::finish);
    }

    /** One endpoint's connection, reopened as needed. */
    private final class Connection implements WebSocket.Listener {
        final String url;
        volatile int share = 1;

        /** Permits requested from the current socket and not yet used by a message. */
        private int requested;

        /** Messages received with a permit and not yet handed on, from this socket or earlier. */
        private final AtomicInteger held = new AtomicInteger();

        /**
         * The highest sequence number received (or skipped), where a reconnect resumes: a message
         * received is handed on even when its socket is gone, so it need not be sent again.
         */
        volatile long resumeSeq;

        /** The highest sequence number handed on; only the fetcher thread uses it. */
        long lastSeq;

        /**
         * Messages without a sequence number received after {@link #resumeSeq}: a feed resumed
         * there sends them again before its next numbered message.
         */
        private int unsequencedSinceResume;

        /** Unnumbered messages still to drop on this socket, as copies of ones received before. */
        private int replaysToDrop;

        /** Where the last unreadable frame broke the connection, or {@code Long.MIN_VALUE}. */
        private long unreadableAt = Long.MIN_VALUE;

        private final MessageAssembler assembler = new MessageAssembler(options.maxMessageBytes());
        boolean delivered;
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

        Connection(String url, long lastSeq, int unsequencedAfter) {
            this.url = url;
            this.lastSeq = lastSeq;
            this.resumeSeq = lastSeq;
            this.unsequencedSinceResume = unsequencedAfter;
        }

        void connect() {
            nextAttemptAt = Long.MAX_VALUE;
            long resumeAt = resumeSeq;
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
            long resumeAt = resumeSeq;
            LOG.info("connected to {}{}", url, resumeAt >= 0 ? " after sequence " + resumeAt : "");
            delivered = false;
            replaysToDrop = resumes() && resumeAt >= 0 ? unsequencedSinceResume : 0;
            assembler.reset();
            if (options.subscribeTemplate() != null) {
                webSocket.sendText(
                        options.subscribeTemplate().replace("{lastSeq}", Long.toString(resumeAt)),
                        true);
            }
            topUp();
        }

        /**
         * Requests messages up to this connection's share, counting those it received and has not
         * handed on, from the permits the reader has free; a connection holding none gets one even
         * when none is free, so that no split starves.
         */
        synchronized void topUp() {
            WebSocket s = socket;
            if (!open || s == null || finished) {
                return;
            }
            int n = 0;
            while (requested + held.get() < share) {
                if (requested + held.get() == 0) {
                    available.decrementAndGet();
                } else if (available.getAndUpdate(a -> a > 0 ? a - 1 : a) <= 0) {
                    break;
                }
                requested++;
                n++;
            }
            if (n > 0) {
                s.request(n);
            }
        }

        /** Permits this connection holds, requested or received (tests). */
        synchronized int holding() {
            return requested + held.get();
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            assembler.text(data);
            if (!last) {
                webSocket.request(1); // the rest of this message, not a new one
                return null;
            }
            long size = assembler.size();
            boolean oversized = assembler.oversized();
            String message = assembler.takeText();
            long now = System.currentTimeMillis();
            // A cut message keeps its sequence number when it is in the part that was kept.
            receive(
                    new WebSocketMessage(
                            url,
                            message,
                            null,
                            sequenceOf(message),
                            now,
                            oversized ? tooLarge(size) : null),
                    message.length());
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
            assembler.binary(data);
            if (!last) {
                webSocket.request(1); // the rest of this message, not a new one
                return null;
            }
            long size = assembler.size();
            boolean oversized = assembler.oversized();
            byte[] message = assembler.takeBinary();
            long now = System.currentTimeMillis();
            receive(
                    new WebSocketMessage(
                            url, null, message, -1, now, oversized ? tooLarge(size) : null),
                    message.length);
            return null;
        }

        /** On the client's thread: a message used one of the socket's permits. */
        private synchronized void receive(WebSocketMessage message, int size) {
            if (requested > 0) {
                requested--;
            }
            if (message.seq() >= 0) {
                replaysToDrop = 0;
                if (message.seq() > resumeSeq) {
                    unsequencedSinceResume = 0;
                }
            } else if (replaysToDrop > 0) {
                // The resumed feed's copy of an unnumbered message received before: handed on
                // already, so dropped here; its permit goes back to the reader's pool.
                replaysToDrop--;
                replays.inc();
                available.incrementAndGet();
                topUp();
                return;
            } else {
                unsequencedSinceResume++;
            }
            held.incrementAndGet();
            if (message.seq() > resumeSeq) {
                resumeSeq = message.seq();
            }
            delivered = true;
            lastReceivedAt = message.receivedAt();
            lastMessageAt.set(lastReceivedAt);
            messages.inc();
            bytes.inc(size);
            inbox.offer(new Item(this, message, true));
        }

        /** A report of the reader's own: it holds no permit. */
        private void report(WebSocketMessage message) {
            inbox.offer(new Item(this, message, false));
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
         * framing) and the client failed the connection over it. Without resume that message, and
         * whatever the feed sends until the reconnect, are lost: say so. With resume the feed sends
         * the same message again, and may be fixed by then; the second failure in a row after the
         * same sequence number skips the next number and reports it in its place, so that one
         * message cannot wedge the split. The report carries the skipped number, so that a
         * checkpoint taken after it resumes past it too.
         */
        private synchronized void unreadable(Throwable error) {
            long now = System.currentTimeMillis();
            long at = resumeSeq;
            String what =
                    "the feed sent a frame the WebSocket client cannot read ("
                            + chain(error)
                            + ") after sequence "
                            + at;
            if (!resumes() || at < 0) {
                report(
                        WebSocketMessage.failed(
                                url, now, what + "; the connection was lost with it"));
                return;
            }
            if (unreadableAt != at) {
                unreadableAt = at; // once may be chance: resume and read it again
                return;
            }
            unreadableAt = Long.MIN_VALUE;
            resumeSeq = at + 1;
            unsequencedSinceResume = 0;
            report(
                    new WebSocketMessage(
                            url,
                            null,
                            null,
                            at + 1,
                            now,
                            what + ", twice in a row; skipped sequence " + (at + 1)));
            LOG.warn("{}: skipping sequence {}, which broke the connection twice", url, at + 1);
        }

        private boolean resumes() {
            return sequence != null
                    && (options.resumeUrlTemplate() != null || options.subscribeTemplate() != null);
        }

        /**
         * On the fetcher thread: a message was handed on; give its permit back. Only new messages
         * count toward the bounded mode's limit: a resumed feed's overlap does not.
         */
        void handedOn(WebSocketMessage m, boolean permit) {
            if (m.seq() < 0 || m.seq() > lastSeq) {
                count++;
            }
            lastSeq = Math.max(lastSeq, m.seq());
            if (permit && held.getAndUpdate(h -> h > 0 ? h - 1 : h) > 0) {
                available.incrementAndGet();
                topUp();
            }
        }

        /**
         * A connection closed or failed; {@code source} is its socket, or null when the connect
         * itself failed. Reports about a socket that was already replaced are ignored, so one
         * failure schedules one reconnect. The permits the socket did not use come back; those of
         * messages it received come back as they are handed on.
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
            available.addAndGet(requested);
            requested = 0;
            lastError = error;
            long now = System.currentTimeMillis();
            if (wasOpen && (delivered || now - openedAt >= options.stablePeriod().toMillis())) {
                failures = 0; // it worked: reconnect at once, not after a grown backoff
            }
            failures++;
            long delay = backoff.delayMillis(failures);
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
                // Its messages still queued are dropped by fetch, so their permits come back too.
                available.addAndGet(requested + held.getAndSet(0));
                requested = 0;
            }
        }

        /**
         * The sequence number, read only as far as the pointer: it is found in the kept part of a
         * message cut at the limit, and in a message whose JSON breaks after it.
         */
        private long sequenceOf(String message) {
            if (sequence == null) {
                return -1;
            }
            try (JsonParser p =
                    new FilteringParserDelegate(
                            MAPPER.createParser(message),
                            new JsonPointerBasedFilter(sequence),
                            TokenFilter.Inclusion.ONLY_INCLUDE_ALL,
                            false)) {
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NUMBER_INT
                        && p.getNumberType() != NumberType.BIG_INTEGER) {
                    return p.getLongValue();
                }
                return -1;
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
        return ExceptionUtils.findThrowable(
                        error,
                        e ->
                                e instanceof java.net.ProtocolException
                                        || e instanceof java.nio.charset.CharacterCodingException)
                .isPresent();
    }

    /** The messages of an error and its causes, for example {@code Invalid UTF-8 in frame TEXT}. */
    private static String chain(Throwable error) {
        StringBuilder b = new StringBuilder();
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (b.indexOf(m) < 0) {
                b.append(b.length() == 0 ? "" : ": ").append(m);
            }
        }
        return b.toString();
    }

    /**
     * A failed connection in a line: {@code handshake refused with HTTP 401}, or the root cause's
     * class and message.
     */
    public static String describe(Throwable error) {
        Optional<WebSocketHandshakeException> refused =
                ExceptionUtils.findThrowable(error, WebSocketHandshakeException.class);
        if (refused.isPresent()) {
            return "handshake refused with HTTP " + refused.get().getResponse().statusCode();
        }
        Throwable root = org.apache.commons.lang3.exception.ExceptionUtils.getRootCause(error);
        Throwable e = root == null ? error : root;
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
