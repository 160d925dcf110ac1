package io.reflex.savepoints;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.jobs.ReflexJob;
import io.reflex.jobs.config.JobFile;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.MarketEvents;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tests that the savepoints of every earlier version, committed under {@code
 * src/test/resources/savepoints/}, still restore into the current job: their keyed state reads back
 * with today's types (including fields added since), and a job started from them carries on where
 * they stopped: pending LLM requests are re-issued and answered once, and the detector's statistics
 * fire on the next event. Any change that breaks restoring them fails the build.
 */
class SavepointCompatibilityITCase {
    @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = Clusters.twoSlots();

    private static final Duration WAIT = Duration.ofSeconds(90);

    static Stream<Path> committedSavepoints() throws Exception {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(Path.of("src/test/resources/savepoints"))) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(dirs).as("committed savepoints").isNotEmpty();
        return dirs.stream();
    }

    @ParameterizedTest
    @MethodSource("committedSavepoints")
    void stateReadsBackWithTodaysTypes(Path savepoint) throws Exception {
        Map<String, JsonNode> detector = new HashMap<>();
        Map<String, JsonNode> agent = new HashMap<>();
        for (String line : SavepointInspector.read(savepoint.toAbsolutePath().toString(), null)) {
            JsonNode n = Json.MAPPER.readTree(line);
            (n.get("operator").asText().equals(ReflexJob.DETECTOR_UID) ? detector : agent)
                    .put(n.get("key").asText(), n);
        }
        for (String k : CompatRecords.QUIET) {
            // DetectorState gained eventsSeen after 0.1: old state reads back with it at 0.
            JsonNode seen = detector.get(k).at("/state/eventsSeen");
            assertThat(seen.isNumber()).as(k + " has the new field").isTrue();
            // The recent events were in DetectorState in 0.1, then in states of their own beside
            // the value (0.2: a ring of map-state slots), and are in the value again since; the
            // detector moves old ones in on the key's next event. The inspector shows both places.
            JsonNode inValue = detector.get(k).at("/state/recent");
            JsonNode beside = detector.get(k).get("recent");
            switch (savepoint.getFileName().toString()) {
                case "reflex-0.1" -> {
                    assertThat(seen.asLong()).isZero();
                    assertThat(inValue).hasSize(5);
                    assertThat(beside).isEmpty();
                }
                case "reflex-0.2" -> {
                    assertThat(seen.asLong()).isEqualTo(5);
                    assertThat(inValue).isEmpty();
                    assertThat(beside).hasSize(5);
                }
                default -> {
                    assertThat(seen.asLong()).isEqualTo(5);
                    assertThat(inValue).hasSize(5);
                    assertThat(beside).isEmpty();
                }
            }
            JsonNode rule = detector.get(k).at("/state/rules/price-move");
            assertThat(rule.get("count").asLong()).as(k + " statistics").isEqualTo(5);
            assertThat(rule.get("sampleValues")).hasSize(5);
        }
        for (String k : CompatRecords.ANSWERED) {
            assertThat(agent.get(k).at("/memory/decisions")).as(k + " memory").hasSize(1);
            assertThat(agent.get(k).get("pending").isNull()).isTrue();
        }
        for (String k : CompatRecords.PENDING) {
            assertThat(agent.get(k).at("/pending/requestId").asText())
                    .as(k + " pending request")
                    .isEqualTo(CompatRecords.pendingRequestId(k));
        }
    }

    @ParameterizedTest
    @MethodSource("committedSavepoints")
    void jobRestoredFromItCarriesOn(Path savepoint) throws Exception {
        // A broker of its own: the savepoint names fixed topics and offsets.
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            restoreAndCarryOn(savepoint, kafka);
        }
    }

    private static void restoreAndCarryOn(Path savepoint, EmbeddedKafka kafka) throws Exception {
        kafka.createTopics(1, CompatRecords.EVENTS, CompatRecords.ACTIONS, CompatRecords.DLQ);
        // The savepoint's Kafka offsets point past what it had read: replay the same records so
        // that the offsets line up on this broker, then add what is new.
        CompatRecords.produce(kafka.bootstrapServers(), CompatRecords.answeredPhase());
        CompatRecords.produce(kafka.bootstrapServers(), CompatRecords.pendingPhase());
        CompatRecords.produce(
                kafka.bootstrapServers(),
                List.of(
                        MarketEvents.trade("K0-jump", "K0", 5_000, 110.0),
                        MarketEvents.news("M0-again", "M0", 5_000, "M0 fraud again")));
        Set<String> expected = new HashSet<>();
        for (String k : CompatRecords.PENDING) {
            expected.add(CompatRecords.actionId("alarming-news", k, 3_000, k + "-n"));
        }
        expected.add(CompatRecords.actionId("price-move", "K0", 5_000, "K0-jump"));
        expected.add(CompatRecords.actionId("alarming-news", "M0", 5_000, "M0-again"));

        try (StubLlmServer stub = StubLlmServer.start()) {
            JobFile job = CompatRecords.jobFile(kafka.bootstrapServers(), stub.baseUrl());
            Configuration conf = ReflexJob.configuration(job);
            conf.setString(
                    "execution.state-recovery.path", savepoint.toAbsolutePath().toUri().toString());
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(conf);
            ReflexJob.build(env, job);
            JobClient client = env.executeAsync(CompatRecords.JOB + "-restored");
            List<ConsumerRecord<byte[], byte[]>> actions =
                    TopicReader.awaitAtLeast(
                            kafka.bootstrapServers(), CompatRecords.ACTIONS, expected.size(), WAIT);
            client.cancel().get();

            List<String> ids = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : actions) {
                ids.add(Json.MAPPER.readTree(r.value()).get("action_id").asText());
            }
            assertThat(ids)
                    .as(
                            "the pending requests, the price jump against restored statistics, and"
                                    + " the new headline: each once")
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(stub.requests())
                    .as("only the pending requests and the two new triggers reach the LLM")
                    .isEqualTo(expected.size());
        }
    }
}
