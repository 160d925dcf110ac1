package io.reflex.sandbox;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker (KRaft, one combined broker and controller) running in this JVM on a random
 * loopback port. Used by the demo and shared by every ITCase of a test JVM through {@link
 * #shared()}.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static EmbeddedKafka shared;

    private final KafkaClusterTestKit cluster;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /** Starts a new broker in temporary directories and waits until it is ready. */
    public static EmbeddedKafka start() throws Exception {
        return start(null);
    }

    /**
     * Starts a broker whose data lives in {@code dir} and outlives it: formatted on first use,
     * taken up again as it was by the next start (on a new port). Null for temporary directories.
     */
    public static EmbeddedKafka start(java.nio.file.Path dir) throws Exception {
        TestKitNodes.Builder nb =
                new TestKitNodes.Builder()
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1);
        // The cluster id is written once the broker has run on the formatted directory.
        boolean kept = dir != null && java.nio.file.Files.exists(dir.resolve("cluster.id"));
        String clusterId = null;
        if (dir != null) {
            java.nio.file.Files.createDirectories(dir);
            clusterId =
                    kept
                            ? java.nio.file.Files.readString(dir.resolve("cluster.id")).trim()
                            : org.apache.kafka.common.Uuid.randomUuid().toString();
            nb.setBaseDirectory(dir.toAbsolutePath()).setClusterId(clusterId);
        }
        TestKitNodes nodes = nb.build();
        KafkaClusterTestKit cluster =
                new KafkaClusterTestKit.Builder(nodes)
                        .setDeleteOnClose(dir == null)
                        // A single node: internal topics cannot be replicated.
                        .setConfigProp("transaction.state.log.replication.factor", "1")
                        .setConfigProp("transaction.state.log.min.isr", "1")
                        .setConfigProp("offsets.topic.replication.factor", "1")
                        .setConfigProp("group.initial.rebalance.delay.ms", "0")
                        // Flink's KafkaSink asks for transactions of up to 15 minutes.
                        .setConfigProp("transaction.max.timeout.ms", "900000")
                        .setConfigProp("num.partitions", "2")
                        .build();
        try {
            if (!kept) {
                formatQuietly(cluster);
            }
            cluster.startup();
            cluster.waitForReadyBrokers();
            if (dir != null && !kept) {
                java.nio.file.Files.writeString(dir.resolve("cluster.id"), clusterId);
            }
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return new EmbeddedKafka(cluster);
    }

    /** Formats the storage; the test kit prints its metadata to stdout, which nobody needs. */
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
        PrintStream stdout = System.out;
        synchronized (System.class) {
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            try {
                cluster.format();
            } finally {
                System.setOut(stdout);
            }
        }
    }

    /**
     * The broker shared by everything in this JVM, started on first use and stopped when the JVM
     * exits.
     */
    public static synchronized EmbeddedKafka shared() throws Exception {
        if (shared == null) {
            EmbeddedKafka kafka = start();
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(kafka::closeQuietly, "embedded-kafka-shutdown"));
            shared = kafka;
        }
        return shared;
    }

    /** The broker's {@code host:port} list for clients. */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** Client properties with the bootstrap servers set. */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return p;
    }

    /** Creates the topics that do not exist yet, each with {@code partitions} partitions. */
    public void createTopics(int partitions, String... topics)
            throws ExecutionException, InterruptedException {
        createTopics(partitions, List.of(topics));
    }

    /** Creates the topics that do not exist yet, each with {@code partitions} partitions. */
    public void createTopics(int partitions, Collection<String> topics)
            throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(clientProperties())) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            for (String t : topics) {
                if (!existing.contains(t)) {
                    missing.add(new NewTopic(t, partitions, (short) 1));
                }
            }
            try {
                admin.createTopics(missing).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            awaitLeaders(admin, topics);
        }
    }

    /**
     * Creates {@code topic} with topic-level {@code configs}, for example {@code
     * max.message.bytes}.
     */
    public void createTopic(String topic, int partitions, Map<String, String> configs)
            throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(clientProperties())) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs)))
                    .all()
                    .get();
            awaitLeaders(admin, List.of(topic));
        }
    }

    /**
     * Waits until every partition of {@code topics} has a leader. Creation returns when the
     * controller has the topics; a producer that writes before the broker leads the partition has
     * been seen to fail with OutOfOrderSequenceException on its retry.
     */
    private static void awaitLeaders(Admin admin, Collection<String> topics)
            throws ExecutionException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            boolean ready = true;
            try {
                for (TopicDescription d :
                        admin.describeTopics(topics).allTopicNames().get().values()) {
                    for (TopicPartitionInfo p : d.partitions()) {
                        ready &= p.leader() != null && p.leader().id() >= 0;
                    }
                }
            } catch (ExecutionException e) {
                ready = false; // not visible in the metadata yet
            }
            if (ready) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + topics + " have no leader after 30 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }

    private void closeQuietly() {
        try {
            close();
        } catch (Exception ignored) {
            // the JVM is exiting
        }
    }
}
