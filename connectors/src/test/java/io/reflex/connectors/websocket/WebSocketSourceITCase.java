package io.reflex.connectors.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.sandbox.Await;
import io.reflex.sandbox.FeedServer;
import io.reflex.sandbox.JobHealth;
import io.reflex.sandbox.SelfSignedCa;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Tests for {@link WebSocketSource} against the sandbox's {@link FeedServer} over real sockets. */
class WebSocketSourceITCase {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The message's sequence number, or -1 for a message that is not JSON. */
    public static final class Sequences implements WebSocketDeserializer<Long> {
        @Override
        public void deserialize(WebSocketMessage message, Collector<Long> out) {
            try {
                JsonNode n = MAPPER.readTree(message.text());
                out.collect(n.path("seq").asLong(-1));
            } catch (Exception e) {
                out.collect(-1L);
            }
        }

        @Override
        public TypeInformation<Long> getProducedType() {
            return Types.LONG;
        }
    }

    private static List<Long> collect(WebSocketSource<Long> source) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<Long> out = new ArrayList<>();
        try (CloseableIterator<Long> it =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "websocket")
                        .uid("websocket")
                        .executeAndCollect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void withResumeEverySequenceArrivesOnceAcrossDroppedConnections() throws Exception {
        try (FeedServer feed =
                FeedServer.start(new FeedServer.Settings(4_000, 600, null, 0, false), 3)) {
            List<Long> seqs =
                    collect(
                            WebSocketSource.<Long>builder()
                                    .url(feed.url())
                                    .resumeUrl(feed.url() + "?since={lastSeq}")
                                    .sequencePointer("/seq")
                                    .backoff(
                                            Duration.ofMillis(20),
                                            Duration.ofMillis(200),
                                            Duration.ofSeconds(5))
                                    .idleTimeout(Duration.ofSeconds(2))
                                    .pingInterval(Duration.ofMillis(500))
                                    .maxMessages(6_000)
                                    .deserializer(new Sequences())
                                    .build());
            assertThat(seqs).hasSize(6_000);
            for (int i = 0; i < seqs.size(); i++) {
                assertThat(seqs.get(i)).isEqualTo(i + 1L);
            }
            assertThat(feed.connections())
                    .as("the feed dropped us and we came back")
                    .isGreaterThanOrEqualTo(2);
        }
    }

    /**
     * A feed that drops every connection every 2 s, read with resume and the default backoff: a
     * connection that delivered messages resets the backoff, so the source reconnects at once and
     * the feed is delivered in full within 1.3 times its own duration (the bound; before
     * the fix the backoff grew across such connections and a third of the time was spent waiting).
     * The feed paces each connection at 200 messages/s, so 4,000 messages take 20 s.
     */
    @Test
    void aFeedThatDropsEveryTwoSecondsIsDeliveredOnceWithinItsDuration() throws Exception {
        int rate = 200;
        int n = 4_000;
        try (FeedServer feed =
                FeedServer.start(new FeedServer.Settings(rate, 2_000, null, 0, false), 9)) {
            WebSocketSource<Long> source =
                    WebSocketSource.<Long>builder()
                            .url(feed.url())
                            .resumeUrl(feed.url() + "?since={lastSeq}")
                            .sequencePointer("/seq")
                            .idleTimeout(Duration.ofSeconds(2))
                            .pingInterval(Duration.ofMillis(500))
                            .maxMessages(n)
                            .deserializer(new Sequences())
                            .build();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            List<Long> seqs = new ArrayList<>();
            long first = 0;
            try (CloseableIterator<Long> it =
                    env.fromSource(source, WatermarkStrategy.noWatermarks(), "websocket")
                            .uid("websocket")
                            .executeAndCollect()) {
                while (it.hasNext()) {
                    seqs.add(it.next());
                    if (first == 0) {
                        first = System.nanoTime();
                    }
                }
            }
            double took = (System.nanoTime() - first) / 1e9;
            double own = (n - 1) / (double) rate;
            System.out.printf(
                    "feed dropping every 2 s: %d messages in %.1f s over %d connections, its own"
                            + " duration %.1f s, ratio %.2f%n",
                    seqs.size(), took, feed.connections(), own, took / own);
            assertThat(seqs).hasSize(n);
            for (int i = 0; i < n; i++) {
                assertThat(seqs.get(i)).isEqualTo(i + 1L);
            }
            assertThat(feed.connections()).isGreaterThanOrEqualTo(8);
            assertThat(took).isLessThanOrEqualTo(1.3 * own);
        }
    }

    /** Each message as a line the test can check: its sequence, or its error, or its kind. */
    public static final class Described implements WebSocketDeserializer<String> {
        @Override
        public void deserialize(WebSocketMessage message, Collector<String> out) {
            if (message.error() != null) {
                out.collect("error " + message.seq() + " " + message.error());
            } else if (message.bytes() != null) {
                out.collect("binary " + message.bytes().length);
            } else {
                out.collect("seq " + message.seq());
            }
        }

        @Override
        public TypeInformation<String> getProducedType() {
            return Types.STRING;
        }
    }

    /**
     * A binary frame, an oversized text message and a text frame with invalid UTF-8 (which the JDK
     * client fails the connection over) each reach the deserializer as a message it can
     * dead-letter, the good messages around them arrive once each, and the job never restarts.
     */
    @Test
    void hostileFramesReachTheDeserializerWithAReasonAndNeverRestartTheJob(
            @InjectClusterClient ClusterClient<?> client) throws Exception {
        try (FeedServer feed = FeedServer.start(FeedServer.Settings.defaults(), 10)) {
            feed.inject(3, FeedServer.Frame.BINARY, new byte[] {(byte) 0xFF, 0, 1});
            byte[] big =
                    ("{\"seq\":5,\"pad\":\"" + "x".repeat(100_000) + "\"}")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            feed.inject(5, FeedServer.Frame.TEXT, big);
            feed.inject(
                    7,
                    FeedServer.Frame.RAW_TEXT,
                    new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
            WebSocketSource<String> source =
                    WebSocketSource.<String>builder()
                            .url(feed.url())
                            .resumeUrl(feed.url() + "?since={lastSeq}")
                            .sequencePointer("/seq")
                            .backoff(
                                    Duration.ofMillis(20),
                                    Duration.ofMillis(200),
                                    Duration.ofSeconds(5))
                            .maxMessageBytes(10_000)
                            .maxMessages(20)
                            .deserializer(new Described())
                            .build();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            List<String> out = new ArrayList<>();
            JobClient job;
            try (CloseableIterator<String> it =
                    env.fromSource(source, WatermarkStrategy.noWatermarks(), "websocket")
                            .uid("websocket")
                            .collectAsync()) {
                job = env.executeAsync();
                it.forEachRemaining(out::add);
            }
            job.getJobExecutionResult().get();
            List<String> good = out.stream().filter(l -> l.startsWith("seq ")).toList();
            assertThat(good)
                    .containsExactly(
                            "seq 1", "seq 2", "seq 4", "seq 6", "seq 8", "seq 9", "seq 10",
                            "seq 11", "seq 12", "seq 13", "seq 14", "seq 15", "seq 16", "seq 17",
                            "seq 18", "seq 19", "seq 20");
            assertThat(out).contains("binary 3");
            assertThat(out)
                    .anySatisfy(
                            l ->
                                    assertThat(l)
                                            .startsWith(
                                                    "error 5 message of " + big.length + " bytes")
                                            .endsWith(
                                                    "exceeds the limit of 10000 (max-message-bytes)"));
            assertThat(out)
                    .anySatisfy(
                            l ->
                                    assertThat(l)
                                            .startsWith("error 7 the feed sent a frame")
                                            .contains("Invalid UTF-8")
                                            .endsWith("skipped sequence 7"));
            assertThat(out).hasSize(20);
            assertThat(
                            JobHealth.numRestarts(
                                    client.getWebInterfaceURL(), job.getJobID().toHexString()))
                    .isZero();
        }
    }

    @Test
    void withoutResumeTheSourceReconnectsAndNeverRepeatsASequence() throws Exception {
        try (FeedServer feed =
                FeedServer.start(new FeedServer.Settings(4_000, 500, null, 0, false), 4)) {
            List<Long> seqs =
                    collect(
                            WebSocketSource.<Long>builder()
                                    .url(feed.url())
                                    .sequencePointer("/seq")
                                    .backoff(
                                            Duration.ofMillis(20),
                                            Duration.ofMillis(200),
                                            Duration.ofSeconds(5))
                                    .idleTimeout(Duration.ofSeconds(2))
                                    .pingInterval(Duration.ofMillis(500))
                                    .maxMessages(3_000)
                                    .deserializer(new Sequences())
                                    .build());
            assertThat(seqs).hasSize(3_000);
            for (int i = 1; i < seqs.size(); i++) {
                assertThat(seqs.get(i)).isGreaterThan(seqs.get(i - 1));
            }
            assertThat(feed.connections()).isGreaterThanOrEqualTo(2);
            // At-most-once: what the feed sent while we reconnected is skipped. Report it.
            long skipped = seqs.get(seqs.size() - 1) - seqs.get(0) + 1 - seqs.size();
            System.out.println(
                    "without resume: "
                            + feed.connections()
                            + " connections, "
                            + skipped
                            + " sequence numbers skipped in "
                            + seqs.size()
                            + " messages");
        }
    }

    @Test
    void aSlowJobSlowsTheSocketDownInsteadOfBuffering() throws Exception {
        try (FeedServer feed = FeedServer.start(FeedServer.Settings.defaults(), 5)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            List<Long> out = new ArrayList<>();
            try (CloseableIterator<Long> it =
                    env.fromSource(
                                    WebSocketSource.<Long>builder()
                                            .url(feed.url())
                                            .sequencePointer("/seq")
                                            .queueCapacity(32)
                                            .maxMessages(1_500)
                                            .deserializer(new Sequences())
                                            .build(),
                                    WatermarkStrategy.noWatermarks(),
                                    "websocket")
                            .map(
                                    seq -> {
                                        LockSupport.parkNanos(
                                                2_000_000); // a deliberately slow operator
                                        return seq;
                                    })
                            .executeAndCollect()) {
                it.forEachRemaining(out::add);
            }
            assertThat(out).hasSize(1_500);
            assertThat(feed.stalledMillis())
                    .as("the server saw the client stop reading")
                    .isGreaterThan(0);
        }
    }

    @Test
    void aRefusedHandshakeIsRetriedWithBackoffThenFailsWithAClearError() throws Exception {
        try (FeedServer feed =
                FeedServer.start(new FeedServer.Settings(0, 0, "secret", 0, false), 6)) {
            Throwable failure =
                    catchThrowable(
                            () ->
                                    collect(
                                            WebSocketSource.<Long>builder()
                                                    .url(feed.url())
                                                    .backoff(
                                                            Duration.ofMillis(20),
                                                            Duration.ofMillis(100),
                                                            Duration.ofSeconds(5))
                                                    .maxReconnectAttempts(3, true)
                                                    .maxMessages(10)
                                                    .deserializer(new Sequences())
                                                    .build()));
            assertThat(failure).isNotNull();
            assertThat(
                            ExceptionUtils.findThrowableWithMessage(
                                    failure,
                                    "failed 4 connection attempts; last error: handshake refused with"
                                            + " HTTP 401"))
                    .isPresent();
            assertThat(feed.refused()).isGreaterThanOrEqualTo(4);

            List<Long> ok =
                    collect(
                            WebSocketSource.<Long>builder()
                                    .url(feed.url())
                                    .header("Authorization", "Bearer secret")
                                    .maxMessages(10)
                                    .deserializer(new Sequences())
                                    .build());
            assertThat(ok).hasSize(10);
        }
    }

    @Test
    void wssWithASelfSignedCertificateWorksWithATruststore(@TempDir Path dir) throws Exception {
        SelfSignedCa ca = SelfSignedCa.generate(dir, "changeit", "changeit");
        try (FeedServer feed =
                FeedServer.start(FeedServer.Settings.defaults(), 8, ca.serverContext())) {
            assertThat(feed.url()).startsWith("wss://");
            List<Long> seqs =
                    collect(
                            WebSocketSource.<Long>builder()
                                    .url(feed.url())
                                    .trustStore(ca.truststore().toString(), "changeit")
                                    .sequencePointer("/seq")
                                    .maxMessages(100)
                                    .deserializer(new Sequences())
                                    .build());
            assertThat(seqs).hasSize(100);
        }
    }

    /** Collects into a JVM-wide queue: the MiniCluster runs in this JVM. */
    static final class QueueSink implements Sink<Long> {
        static final java.util.Queue<Long> RECEIVED =
                new java.util.concurrent.ConcurrentLinkedQueue<>();

        @Override
        public SinkWriter<Long> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(Long element, Context context) {
                    RECEIVED.add(element);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    @Test
    void stopWithSavepointAndRestoreResumeFromTheCheckpointedSequence(@TempDir Path dir)
            throws Exception {
        QueueSink.RECEIVED.clear();
        try (FeedServer feed =
                FeedServer.start(new FeedServer.Settings(2_000, 0, null, 0, false), 12)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            env.enableCheckpointing(200);
            env.fromSource(
                            WebSocketSource.<Long>builder()
                                    .url(feed.url())
                                    .resumeUrl(feed.url() + "?since={lastSeq}")
                                    .sequencePointer("/seq")
                                    .deserializer(new Sequences())
                                    .build(),
                            WatermarkStrategy.noWatermarks(),
                            "websocket")
                    .uid("websocket")
                    .sinkTo(new QueueSink())
                    .uid("sink");
            JobClient first = env.executeAsync("ws-before");
            Await.until(
                    "1,000 messages before the savepoint",
                    Duration.ofSeconds(60),
                    () -> QueueSink.RECEIVED.size() >= 1_000);
            String savepoint =
                    first.stopWithSavepoint(
                                    false, dir.toUri().toString(), SavepointFormatType.CANONICAL)
                            .get();
            int before = QueueSink.RECEIVED.size();

            Configuration conf = new Configuration();
            conf.setString("execution.state-recovery.path", savepoint);
            StreamExecutionEnvironment env2 =
                    StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env2.setParallelism(1);
            env2.fromSource(
                            WebSocketSource.<Long>builder()
                                    .url(feed.url())
                                    .resumeUrl(feed.url() + "?since={lastSeq}")
                                    .sequencePointer("/seq")
                                    .maxMessages(500)
                                    .deserializer(new Sequences())
                                    .build(),
                            WatermarkStrategy.noWatermarks(),
                            "websocket")
                    .uid("websocket")
                    .sinkTo(new QueueSink())
                    .uid("sink");
            env2.execute("ws-after");

            List<Long> all = new ArrayList<>(QueueSink.RECEIVED);
            assertThat(all).hasSize(before + 500);
            for (int i = 0; i < all.size(); i++) {
                assertThat(all.get(i)).as("position %d", i).isEqualTo(i + 1L);
            }
        }
    }
}
