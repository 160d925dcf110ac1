package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.FeedGenerator;
import io.reflex.sandbox.FeedServer;
import io.reflex.sandbox.KafkaBrokerProcess;
import io.reflex.sandbox.SelfSignedCa;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reflex against a broker that takes clients only over {@code SASL_SSL} with SCRAM-SHA-512 (a CA,
 * the broker's certificate and the SCRAM user made for the test), and a WebSocket feed that takes
 * only a bearer token. {@code reflex run} reads the source, writes actions, dead letters and the
 * LLM journal, and reads its actions back, all authenticated with credentials from {@code ${VAR}}s;
 * a wrong password is refused by the preflight with the setting to fix, and {@code reflex doctor}
 * names a wrong password and a wrong feed token. No secret is in any output or log the runs wrote.
 */
class SecureKafkaITCase {
    private static final String PASSWORD = "scram-" + Long.toHexString(System.nanoTime());
    private static final String TRUSTSTORE_PASSWORD =
            "trust-" + Long.toHexString(System.nanoTime());
    private static final String FEED_TOKEN = "feed-" + Long.toHexString(System.nanoTime());

    private static Path dir;
    private static SelfSignedCa ca;
    private static KafkaBrokerProcess kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        dir =
                Files.createTempDirectory(
                        Files.createDirectories(Path.of("target/secure-it")), "run-");
        ca =
                SelfSignedCa.generate(
                        dir.resolve("tls"), "key-" + System.nanoTime(), TRUSTSTORE_PASSWORD);
        kafka =
                KafkaBrokerProcess.start(
                        dir.resolve("kafka"),
                        Duration.ofSeconds(90),
                        new KafkaBrokerProcess.Secure(ca, "reflex", PASSWORD));
        kafka.createTopics(2, "secure.events", "secure.actions", "secure.dlq");
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** The client properties of the job file, with the secrets as {@code ${VAR}}s. */
    private static List<String> properties(String indent) {
        return List.of(
                indent + "properties:",
                indent + "  security.protocol: SASL_SSL",
                indent + "  sasl.mechanism: SCRAM-SHA-512",
                indent
                        + "  sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule"
                        + " required username=\"reflex\" password=\"${KAFKA_PASSWORD}\";'",
                indent + "  ssl.truststore.type: PKCS12",
                indent + "  ssl.truststore.location: ${TRUSTSTORE}",
                indent + "  ssl.truststore.password: ${TRUSTSTORE_PASSWORD}");
    }

    private static Path jobFile(String feedUrl, String llm) throws Exception {
        List<String> y = new ArrayList<>();
        y.add("job: {name: secure, checkpoint-interval: 1s}");
        y.add("sources:");
        y.add("  - name: events");
        y.add("    bootstrap-servers: ${SECURE_BOOTSTRAP}");
        y.add("    topics: [secure.events]");
        y.add("    starting-offsets: earliest");
        y.add("    key: /symbol");
        y.add("    event-time: /ts");
        y.add("    event-id: /id");
        y.addAll(properties("    "));
        y.add("  - name: news");
        y.add("    type: websocket");
        y.add("    urls: ['" + feedUrl + "']");
        y.add("    headers: {Authorization: 'Bearer ${FEED_TOKEN}'}");
        y.add("    key: /id");
        y.add("    event-time: /ts");
        y.add("    event-id: /id");
        y.add("rules:");
        y.add(
                "  - {id: alarming, type: match, field: /headline, pattern: '(?i)fraud|halts|investigation|recall|bankruptcy|resigns'}");
        y.add("llm: {base-url: '" + llm + "', model: stub-model, timeout: 10s}");
        y.add("actions:");
        y.add("  - type: alert");
        y.add("sinks:");
        y.add("  bootstrap-servers: ${SECURE_BOOTSTRAP}");
        y.add("  actions-topic: secure.actions");
        y.add("  dead-letter-topic: secure.dlq");
        y.addAll(properties("  "));
        y.add("");
        Path file = dir.resolve("secure.yaml");
        Files.writeString(file, String.join("\n", y));
        return file;
    }

    private static Map<String, String> env(String password, String token) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SECURE_BOOTSTRAP", kafka.secureBootstrapServers());
        env.put("KAFKA_PASSWORD", password);
        env.put("TRUSTSTORE", ca.truststore().toAbsolutePath().toString());
        env.put("TRUSTSTORE_PASSWORD", TRUSTSTORE_PASSWORD);
        env.put("FEED_TOKEN", token);
        return env;
    }

    private static Map<String, String> clientProperties() {
        return Map.of(
                "security.protocol",
                "SASL_SSL",
                "sasl.mechanism",
                "SCRAM-SHA-512",
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"reflex\" password=\""
                        + PASSWORD
                        + "\";",
                "ssl.truststore.type",
                "PKCS12",
                "ssl.truststore.location",
                ca.truststore().toAbsolutePath().toString(),
                "ssl.truststore.password",
                TRUSTSTORE_PASSWORD);
    }

    @Test
    void runsEndToEndOverSaslSslAndATokenFeedWithoutLeakingASecret() throws Exception {
        // Twenty alarming headlines on Kafka, each on a key of its own.
        Properties p = FeedGenerator.producerProperties(kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < 20; i++) {
                String json =
                        "{\"id\":\"s"
                                + i
                                + "\",\"symbol\":\"S"
                                + i
                                + "\",\"ts\":"
                                + (1_000 + i)
                                + ",\"headline\":\"S"
                                + i
                                + " halts trading amid fraud probe\"}";
                producer.send(
                        new ProducerRecord<>(
                                "secure.events", json.getBytes(StandardCharsets.UTF_8)));
            }
        }
        Path log = dir.resolve("run.log");
        try (StubLlmServer stub = StubLlmServer.start();
                FeedServer feed =
                        FeedServer.start(new FeedServer.Settings(20, 0, FEED_TOKEN, 0, true), 3)) {
            Path file = jobFile(feed.url(), stub.baseUrl());
            Launched run =
                    Launched.run(
                            ReflexCli.class,
                            Duration.ofMinutes(4),
                            env(PASSWORD, FEED_TOKEN),
                            List.of("-Dreflex.log.file=" + log),
                            "run",
                            file.toString(),
                            "--duration",
                            "45s");
            System.out.println(run.output());
            assertThat(run.exit()).as(run.output()).isZero();
            assertThat(feed.connections()).as("the feed took the token").isPositive();
            assertThat(feed.refused()).isZero();

            List<ConsumerRecord<byte[], byte[]>> actions =
                    TopicReader.readAll(
                            kafka.secureBootstrapServers(),
                            clientProperties(),
                            "secure.actions",
                            Duration.ofSeconds(60));
            Set<String> keys = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : actions) {
                JsonNode a = Json.MAPPER.readTree(r.value());
                keys.add(a.get("key").asText());
            }
            for (int i = 0; i < 20; i++) {
                assertThat(keys).as("the action of Kafka headline S" + i).contains("S" + i);
            }
            assertThat(keys.stream().filter(k -> k.startsWith("n-")))
                    .as("actions of the feed's headlines, read with the token")
                    .isNotEmpty();
            assertThat(
                            TopicReader.readAll(
                                    kafka.bootstrapServers(),
                                    "reflex.llm-journal",
                                    Duration.ofSeconds(30)))
                    .as("the journal, written over SASL_SSL")
                    .hasSizeGreaterThanOrEqualTo(20);
            assertThat(run.output()).contains("summary:");
            assertNoSecret(run.output(), log);
        }
    }

    @Test
    void aWrongPasswordIsRefusedBeforeStartAndDoctorNamesItAndAWrongToken() throws Exception {
        Path log = dir.resolve("wrong.log");
        try (StubLlmServer stub = StubLlmServer.start();
                FeedServer feed =
                        FeedServer.start(new FeedServer.Settings(20, 0, FEED_TOKEN, 0, true), 4)) {
            Path file = jobFile(feed.url(), stub.baseUrl());
            String wrong = "not-" + PASSWORD;
            long t0 = System.nanoTime();
            Launched run =
                    Launched.run(
                            ReflexCli.class,
                            Duration.ofMinutes(2),
                            env(wrong, FEED_TOKEN),
                            List.of("-Dreflex.log.file=" + log),
                            "run",
                            file.toString());
            System.out.println(run.output());
            assertThat(run.exit()).as(run.output()).isEqualTo(2);
            assertThat(run.output())
                    .contains(
                            "sources[0] (events).properties: Kafka at "
                                    + kafka.secureBootstrapServers()
                                    + " refused the credentials")
                    .contains("sinks.properties: Kafka at ")
                    .contains("check sasl.mechanism and sasl.jaas.config")
                    .doesNotContain("\tat org.apache");
            assertThat((System.nanoTime() - t0) / 1e9)
                    .as("refused at once, not after retries")
                    .isLessThan(60);

            Launched doctor =
                    Launched.run(
                            ReflexCli.class,
                            Duration.ofMinutes(2),
                            env(wrong, "not-" + FEED_TOKEN),
                            List.of("-Dreflex.log.file=" + log),
                            "doctor",
                            file.toString(),
                            "--timeout",
                            "5s");
            System.out.println(doctor.output());
            assertThat(doctor.exit()).isEqualTo(2);
            assertThat(doctor.output())
                    .contains("refused the credentials")
                    .contains("handshake refused with HTTP 401");
            assertNoSecret(run.output() + doctor.output(), log);
            assertThat(doctor.output() + run.output()).doesNotContain(wrong);
        }
    }

    /** Neither the output nor any log the runs wrote holds a secret. */
    private static void assertNoSecret(String output, Path log) throws Exception {
        assertThat(Files.exists(log)).as("the run wrote its log").isTrue();
        List<String> texts = new ArrayList<>(List.of(output));
        try (Stream<Path> files = Files.list(log.getParent())) {
            for (Path f : files.filter(x -> x.toString().endsWith(".log")).toList()) {
                texts.add(Files.readString(f, StandardCharsets.ISO_8859_1));
            }
        }
        for (String text : texts) {
            assertThat(text)
                    .doesNotContain(PASSWORD)
                    .doesNotContain(TRUSTSTORE_PASSWORD)
                    .doesNotContain(FEED_TOKEN);
        }
    }
}
