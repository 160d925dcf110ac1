package io.reflex.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.TextFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;
import org.java_websocket.server.WebSocketServer;

/**
 * A real WebSocket server that streams the market feed (trades and news from {@link FeedGenerator})
 * as JSON text messages, each with a {@code seq} number starting at 1. The same sequence number
 * always carries the same message, so a client can resume with {@code ?since=SEQ}; what was sent
 * before goes to a resumed client as fast as it reads, new messages at the configured pace. For
 * tests it can drop every connection every few seconds, refuse handshakes without the right {@code
 * Authorization} header (401), and insert malformed messages.
 *
 * <p>Each connection has its own sender thread, which stops writing while the connection's outgoing
 * buffer is full: a client that stops reading slows the server down, and the time spent so is
 * counted as {@link #stalledMillis()}.
 */
public final class FeedServer implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int MAX_BUFFERED_FRAMES = 64;

    /**
     * Server settings.
     *
     * @param messagesPerSecond pace per connection; 0 for as fast as the client reads
     * @param dropEveryMillis close every connection this often; 0 never
     * @param requiredToken handshakes without {@code Authorization: Bearer TOKEN} get 401; null for
     *     none
     * @param malformedEvery every n-th message is not JSON; 0 never
     * @param newsOnly stream headlines only, no trades
     */
    public record Settings(
            int messagesPerSecond,
            long dropEveryMillis,
            String requiredToken,
            int malformedEvery,
            boolean newsOnly) {

        public static Settings defaults() {
            return new Settings(0, 0, null, 0, false);
        }
    }

    private final Server server;
    private final Settings settings;
    private final FeedHistory history;
    private final Map<WebSocket, Thread> senders = new ConcurrentHashMap<>();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong stalledNanos = new AtomicLong();
    private final ScheduledExecutorService dropper;
    private final Map<Long, Hostile> hostile = new ConcurrentHashMap<>();
    private volatile boolean secure;
    private volatile long lastSeq = Long.MAX_VALUE;

    private FeedServer(int port, Settings settings, long seed, long startMillis) {
        this.settings = settings;
        this.history = new FeedHistory(settings, seed, startMillis);
        this.server = new Server(new InetSocketAddress("127.0.0.1", port));
        this.server.setReuseAddr(true);
        this.dropper =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "feed-server-dropper");
                            t.setDaemon(true);
                            return t;
                        });
    }

    /** Starts a server on a free loopback port and waits until it accepts connections. */
    public static FeedServer start(Settings settings, long seed) throws Exception {
        return start(settings, seed, null);
    }

    /**
     * Starts a {@code wss://} server with the key in {@code ssl} (null for plain {@code ws://}).
     */
    public static FeedServer start(Settings settings, long seed, SSLContext ssl) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        return start(settings, seed, ssl, port);
    }

    /** Starts a server on {@code port} of the loopback interface. */
    public static FeedServer start(Settings settings, long seed, SSLContext ssl, int port)
            throws Exception {
        return start(settings, seed, ssl, port, System.currentTimeMillis());
    }

    /**
     * Starts a server on {@code port} whose first message has event time {@code startMillis}, so
     * that {@link FeedHistory} can tell every message it will send.
     */
    public static FeedServer start(
            Settings settings, long seed, SSLContext ssl, int port, long startMillis)
            throws Exception {
        FeedServer feed = new FeedServer(port, settings, seed, startMillis);
        if (ssl != null) {
            feed.server.setWebSocketFactory(new DefaultSSLWebSocketServerFactory(ssl));
            feed.secure = true;
        }
        feed.server.start();
        feed.server.started.await(10, TimeUnit.SECONDS);
        if (settings.dropEveryMillis() > 0) {
            feed.dropper.scheduleAtFixedRate(
                    feed::dropAll,
                    settings.dropEveryMillis(),
                    settings.dropEveryMillis(),
                    TimeUnit.MILLISECONDS);
        }
        return feed;
    }

    /** The feed's URL, {@code ws://127.0.0.1:PORT/feed}. */
    public String url() {
        return (secure ? "wss" : "ws") + "://127.0.0.1:" + server.getPort() + "/feed";
    }

    /** Connections accepted so far. */
    public long connections() {
        return connections.get();
    }

    /** Handshakes refused (401). */
    public long refused() {
        return refused.get();
    }

    /** Messages sent, over all connections. */
    public long sent() {
        return sent.get();
    }

    /** Time the senders waited for clients to read, summed over connections. */
    public long stalledMillis() {
        return TimeUnit.NANOSECONDS.toMillis(stalledNanos.get());
    }

    /**
     * Ends the feed after message {@code seq}: connections stay open, but nothing more is sent, so
     * a test knows every message there will be.
     */
    public FeedServer lastSeq(long seq) {
        this.lastSeq = seq;
        return this;
    }

    /** Closes every open connection abruptly, as a network failure would. */
    public void dropAll() {
        for (WebSocket conn : server.getConnections()) {
            conn.closeConnection(CloseFrame.ABNORMAL_CLOSE, "dropped by the feed server");
        }
    }

    /** What a hostile frame is made of, for {@link #inject}. */
    public enum Frame {
        /** A text frame with the payload as its text (UTF-8). */
        TEXT,
        /** A binary frame. */
        BINARY,
        /** A text frame whose payload is sent as it is, valid UTF-8 or not. */
        RAW_TEXT
    }

    private record Hostile(Frame frame, byte[] payload) {}

    /**
     * Sends {@code payload} as a {@code frame} in place of message {@code seq}, on every connection
     * that reaches it: a resumed feed sends it again, as a real one would.
     */
    public void inject(long seq, Frame frame, byte[] payload) {
        hostile.put(seq, new Hostile(frame, payload.clone()));
    }

    private void sendHostile(WebSocket conn, Hostile h) {
        switch (h.frame()) {
            case TEXT:
                conn.send(new String(h.payload(), java.nio.charset.StandardCharsets.UTF_8));
                break;
            case BINARY:
                conn.send(h.payload());
                break;
            default:
                TextFrame f = new TextFrame();
                f.setPayload(java.nio.ByteBuffer.wrap(h.payload()));
                f.setFin(true);
                conn.sendFrame(f);
        }
    }

    /** Message {@code seq} (from 1): the same for every connection. */
    public String message(long seq) {
        return history.message(seq);
    }

    private void send(WebSocket conn, long since) {
        long seq = since + 1;
        long pace =
                settings.messagesPerSecond() > 0
                        ? TimeUnit.SECONDS.toNanos(1) / settings.messagesPerSecond()
                        : 0;
        long next = System.nanoTime();
        boolean replayed = false;
        WebSocketImpl impl = (WebSocketImpl) conn;
        while (conn.isOpen() && !Thread.currentThread().isInterrupted()) {
            if (impl.outQueue.size() > MAX_BUFFERED_FRAMES) {
                long t = System.nanoTime();
                LockSupport.parkNanos(1_000_000); // the client is not reading: wait for it
                stalledNanos.addAndGet(System.nanoTime() - t);
                continue;
            }
            if (seq > lastSeq) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // the feed has ended
                continue;
            }
            // What was sent before (a resumed client's backlog) goes as fast as the client
            // reads, as a feed replaying its history would; only new messages are paced.
            boolean replay = seq <= head.get();
            if (pace > 0 && !replay) {
                if (replayed) {
                    next = System.nanoTime();
                    replayed = false;
                }
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                next += pace;
            }
            replayed |= replay;
            try {
                Hostile h = hostile.get(seq);
                if (h != null) {
                    sendHostile(conn, h);
                } else {
                    conn.send(message(seq));
                }
                head.accumulateAndGet(seq++, Math::max);
                sent.incrementAndGet();
            } catch (RuntimeException closed) {
                // make sure the client notices, rather than waiting on a silent connection
                conn.closeConnection(CloseFrame.ABNORMAL_CLOSE, "sender stopped");
                return;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        dropper.shutdownNow();
        senders.values().forEach(Thread::interrupt);
        server.stop(1000);
    }

    private final class Server extends WebSocketServer {
        final java.util.concurrent.CountDownLatch started =
                new java.util.concurrent.CountDownLatch(1);

        Server(InetSocketAddress address) {
            super(address);
        }

        @Override
        public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(
                WebSocket conn, Draft draft, ClientHandshake request) throws InvalidDataException {
            ServerHandshakeBuilder b =
                    super.onWebsocketHandshakeReceivedAsServer(conn, draft, request);
            if (settings.requiredToken() != null
                    && !("Bearer " + settings.requiredToken())
                            .equals(request.getFieldValue("Authorization"))) {
                refused.incrementAndGet();
                // The library answers a refused handshake with 404 only; a real feed says 401.
                // Its answer goes out first, and the client reads no further.
                ((WebSocketImpl) conn)
                        .outQueue.add(
                                java.nio.ByteBuffer.wrap(
                                        ("HTTP/1.1 401 Unauthorized\r\n"
                                                        + "WWW-Authenticate: Bearer\r\n"
                                                        + "Content-Length: 0\r\n"
                                                        + "Connection: close\r\n\r\n")
                                                .getBytes(
                                                        java.nio.charset.StandardCharsets
                                                                .US_ASCII)));
                onWriteDemand(conn);
                throw new InvalidDataException(CloseFrame.POLICY_VALIDATION, "401 Unauthorized");
            }
            return b;
        }

        @Override
        public void onOpen(WebSocket conn, ClientHandshake handshake) {
            connections.incrementAndGet();
            // Without ?since the feed is live: a client joins after the newest message sent.
            long since = head.get();
            String query = URI.create(handshake.getResourceDescriptor()).getQuery();
            if (query != null) {
                for (String part : query.split("&")) {
                    if (part.startsWith("since=")) {
                        since = Math.max(0, Long.parseLong(part.substring(6)));
                    }
                }
            }
            long from = since;
            Thread t = new Thread(() -> send(conn, from), "feed-server-sender");
            t.setDaemon(true);
            senders.put(conn, t);
            t.start();
        }

        @Override
        public void onClose(WebSocket conn, int code, String reason, boolean remote) {
            Thread t = senders.remove(conn);
            if (t != null) {
                t.interrupt();
            }
        }

        @Override
        public void onMessage(WebSocket conn, String message) {
            // subscribe messages are accepted and ignored: the feed has one stream
        }

        @Override
        public void onError(WebSocket conn, Exception ex) {
            // a dropped or refused connection; the client reconnects
        }

        @Override
        public void onStart() {
            setConnectionLostTimeout(0);
            started.countDown();
        }
    }

    /**
     * Runs a feed in its own JVM: {@code FeedServer PORT [--rate N] [--drop-every-ms MS]
     * [--token-env VAR] [--malformed-every N] [--last-seq N] [--news-only] [--seed S]
     * [--start-millis T]}. The token comes from an environment variable, never the command line,
     * where {@code ps} would show it.
     */
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int rate = 0;
        long dropMs = 0;
        String token = null;
        int malformed = 0;
        long last = Long.MAX_VALUE;
        boolean newsOnly = false;
        long seed = 7;
        long startMillis = System.currentTimeMillis();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--rate" -> rate = Integer.parseInt(args[++i]);
                case "--drop-every-ms" -> dropMs = Long.parseLong(args[++i]);
                case "--token-env" -> token = System.getenv(args[++i]);
                case "--malformed-every" -> malformed = Integer.parseInt(args[++i]);
                case "--last-seq" -> last = Long.parseLong(args[++i]);
                case "--news-only" -> newsOnly = true;
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--start-millis" -> startMillis = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        FeedServer feed =
                start(
                                new Settings(rate, dropMs, token, malformed, newsOnly),
                                seed,
                                null,
                                port,
                                startMillis)
                        .lastSeq(last);
        System.out.println("feed listening at " + feed.url());
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    try {
                                        feed.close();
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                }));
        Thread.currentThread().join();
    }
}
