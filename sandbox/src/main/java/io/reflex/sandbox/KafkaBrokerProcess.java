package io.reflex.sandbox;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) in its own JVM, for the
 * tests on a standalone Flink cluster: its storage is formatted with {@code StorageTool}, then
 * {@code kafka.Kafka} runs with a generated {@code server.properties} on free loopback ports.
 */
public final class KafkaBrokerProcess implements AutoCloseable {
    private static final List<String> JVM_ARGS = List.of("-Xmx512m", "-Dlog4j2.level=WARN");

    private final Path dir;
    private final String bootstrap;
    private final String secureBootstrap;
    private volatile ChildJvm jvm;
    private int starts = 1;

    private KafkaBrokerProcess(Path dir, ChildJvm jvm, String bootstrap, String secureBootstrap) {
        this.dir = dir;
        this.jvm = jvm;
        this.bootstrap = bootstrap;
        this.secureBootstrap = secureBootstrap;
    }

    /** The {@code SASL_SSL} listener's {@code host:port}, or null without one. */
    public String secureBootstrapServers() {
        return secureBootstrap;
    }

    /**
     * A second listener, {@code SASL_SSL} with SCRAM-SHA-512, for clients that must authenticate:
     * the server's key in {@code ca}'s keystore, and one SCRAM user created when the storage is
     * formatted. The plain listener stays, for the tests' own clients and the broker itself.
     */
    public record Secure(SelfSignedCa ca, String user, String password) {}

    /** Formats {@code dir} and starts the broker; returns once it answers, or throws. */
    public static KafkaBrokerProcess start(Path dir, Duration timeout) throws Exception {
        return start(dir, timeout, null);
    }

    /** As {@link #start(Path, Duration)}, with a {@code SASL_SSL} listener when {@code secure}. */
    public static KafkaBrokerProcess start(Path dir, Duration timeout, Secure secure)
            throws Exception {
        int port = freePort();
        int controller = freePort();
        int securePort = secure == null ? -1 : freePort();
        Files.createDirectories(dir);
        Path props = dir.resolve("server.properties");
        List<String> lines =
                new java.util.ArrayList<>(
                        List.of(
                                "process.roles=broker,controller",
                                "node.id=1",
                                "controller.quorum.voters=1@127.0.0.1:" + controller,
                                "listeners=PLAINTEXT://127.0.0.1:"
                                        + port
                                        + ",CONTROLLER://127.0.0.1:"
                                        + controller
                                        + (secure == null
                                                ? ""
                                                : ",SECURE://127.0.0.1:" + securePort),
                                "advertised.listeners=PLAINTEXT://127.0.0.1:"
                                        + port
                                        + (secure == null
                                                ? ""
                                                : ",SECURE://127.0.0.1:" + securePort),
                                "controller.listener.names=CONTROLLER",
                                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
                                        + (secure == null ? "" : ",SECURE:SASL_SSL"),
                                "inter.broker.listener.name=PLAINTEXT",
                                "log.dirs=" + dir.resolve("data").toAbsolutePath(),
                                "num.partitions=2",
                                "offsets.topic.replication.factor=1",
                                "offsets.topic.num.partitions=4",
                                "transaction.state.log.replication.factor=1",
                                "transaction.state.log.min.isr=1",
                                "transaction.state.log.num.partitions=4",
                                "group.initial.rebalance.delay.ms=0"));
        if (secure != null) {
            lines.addAll(
                    List.of(
                            "sasl.enabled.mechanisms=SCRAM-SHA-512",
                            "listener.name.secure.scram-sha-512.sasl.jaas.config="
                                    + "org.apache.kafka.common.security.scram.ScramLoginModule"
                                    + " required;",
                            "ssl.keystore.type=PKCS12",
                            "ssl.keystore.location=" + secure.ca().keystore().toAbsolutePath(),
                            "ssl.keystore.password=" + secure.ca().keystorePassword(),
                            "ssl.key.password=" + secure.ca().keystorePassword()));
        }
        lines.add("");
        Files.writeString(props, String.join("\n", lines));
        List<String> format =
                new java.util.ArrayList<>(
                        List.of(
                                "format",
                                "-t",
                                Uuid.randomUuid().toString(),
                                "-c",
                                props.toString()));
        if (secure != null) {
            format.add("--add-scram");
            format.add(
                    "SCRAM-SHA-512=[name="
                            + secure.user()
                            + ",password="
                            + secure.password()
                            + "]");
        }
        try (ChildJvm formatting =
                ChildJvm.start(
                        "kafka.tools.StorageTool", JVM_ARGS, format, dir.resolve("format.log"))) {
            if (formatting.waitFor(60) != 0) {
                throw new IOException("formatting Kafka's storage failed:\n" + formatting.output());
            }
        }
        KafkaBrokerProcess kafka =
                new KafkaBrokerProcess(
                        dir,
                        launch(dir, "broker.log"),
                        "127.0.0.1:" + port,
                        secure == null ? null : "127.0.0.1:" + securePort);
        kafka.awaitReady(timeout);
        return kafka;
    }

    private static ChildJvm launch(Path dir, String log) throws IOException {
        return ChildJvm.start(
                "kafka.Kafka",
                JVM_ARGS,
                List.of(dir.resolve("server.properties").toString()),
                dir.resolve(log));
    }

    private void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Admin admin = admin()) {
                admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                if (!jvm.isAlive() || System.nanoTime() > deadline) {
                    String out = jvm.output();
                    jvm.close();
                    throw new IOException("Kafka broker did not start:\n" + out, e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }

    /**
     * Stops the broker (a clean shutdown: SIGTERM, forced after 10 s) and starts it again on the
     * same port and log directory, as a rolling restart would; returns once it answers.
     */
    public synchronized void restart(Duration timeout) throws Exception {
        jvm.close();
        jvm = launch(dir, "broker-" + (++starts) + ".log");
        awaitReady(timeout);
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    public long pid() {
        return jvm.pid();
    }

    /** Creates topics with {@code partitions} partitions each. */
    public void createTopics(int partitions, String... topics) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(
                            java.util.Arrays.stream(topics)
                                    .map(t -> new NewTopic(t, partitions, (short) 1))
                                    .toList())
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** The sum of the offsets that consumer group {@code group} has committed, over partitions. */
    public long committedOffsets(String group) throws Exception {
        try (Admin admin = admin()) {
            return admin
                    .listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS)
                    .values()
                    .stream()
                    .filter(java.util.Objects::nonNull)
                    .mapToLong(o -> o.offset())
                    .sum();
        }
    }

    private Admin admin() {
        Properties p = new Properties();
        p.putAll(
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000));
        return Admin.create(p);
    }

    /** A free TCP port on the loopback interface, at the time of asking. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        jvm.close();
    }
}
