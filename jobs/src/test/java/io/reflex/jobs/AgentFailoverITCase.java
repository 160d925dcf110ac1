package io.reflex.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.jobs.kafka.KafkaConnectors;
import io.reflex.operators.action.ActionIds;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import io.reflex.sandbox.Await;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.FeedGenerator;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for the keyed agent across a failure with LLM requests in flight: the job is cancelled
 * while every request hangs, and a new job restores from the retained checkpoint (at another
 * parallelism). The actions topic, read with {@code read_committed}, then holds exactly one record
 * per expected action id.
 */
class AgentFailoverITCase {

    @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = MiniClusters.twoSlots();

    private static final int TRIGGERS = 12;
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void pendingRequestsAreReissuedOnceAfterRestoreAndEveryActionIsCommittedOnce(
            @TempDir Path checkpoints) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        String news = "news-failover-" + s;
        String actions = "actions-failover-" + s;
        String dlq = "dlq-failover-" + s;
        kafka.createTopics(2, news, actions, dlq);
        String job = "failover-" + s;

        Set<String> expected = writeNews(kafka, news, job);

        // Run 1: every LLM call hangs, so every request is pending when a checkpoint completes.
        try (StubLlmServer hanging =
                StubLlmServer.start(
                        0, StubLlmServer.Settings.healthy().withLatency(120_000, 0), 1)) {
            JobFile file = jobFile(job, kafka, hanging, news, actions, dlq);
            StreamExecutionEnvironment env = environment(file, checkpoints, null);
            env.setParallelism(2);
            build(env, file);
            JobClient first = env.executeAsync(job);
            Await.until("all requests in flight", WAIT, () -> hanging.inFlight() >= TRIGGERS);
            long allInFlightAt = System.currentTimeMillis();
            Await.until(
                    "a checkpoint after all requests went out",
                    WAIT,
                    () -> checkpointAfter(checkpoints, allInFlightAt).isPresent());
            Path checkpoint = checkpointAfter(checkpoints, allInFlightAt).orElseThrow();
            first.cancel().get();
            assertThat(read(kafka, actions)).as("no decision was committed").isEmpty();

            // Run 2: restore from the retained checkpoint at parallelism 1, with a healthy LLM.
            try (StubLlmServer healthy = StubLlmServer.start()) {
                JobFile second = jobFile(job, kafka, healthy, news, actions, dlq);
                StreamExecutionEnvironment env2 =
                        environment(second, checkpoints, checkpoint.toUri().toString());
                env2.setParallelism(1);
                build(env2, second);
                JobClient restored = env2.executeAsync(job);
                TopicReader.awaitAtLeast(kafka.bootstrapServers(), actions, TRIGGERS, WAIT);
                restored.cancel().get();

                // Read again after the cancel: a duplicate committed meanwhile would show here.
                List<String> ids = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : read(kafka, actions)) {
                    JsonNode a = Json.MAPPER.readTree(r.value());
                    ids.add(a.get("action_id").asText());
                }
                assertThat(ids).hasSize(TRIGGERS).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(read(kafka, dlq)).isEmpty();
                assertThat(healthy.requests())
                        .as("each pending request re-issued exactly once, nothing else sent")
                        .isEqualTo(TRIGGERS);
                System.out.println(
                        "failover: "
                                + healthy.requests()
                                + " requests re-issued after restoring "
                                + checkpoint.getFileName());
            }
        }
    }

    /**
     * Answers that arrive after the last checkpoint are journaled; after a failure, the restore
     * decides their requests from the journal: the LLM answers each request id once over both runs,
     * and every action is committed once.
     */
    @Test
    void answersGivenAfterTheCheckpointAreServedFromTheJournalAfterARestore(
            @TempDir Path checkpoints, @InjectClusterClient ClusterClient<?> cluster)
            throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        String news = "news-journal-" + s;
        String actions = "actions-journal-" + s;
        String dlq = "dlq-journal-" + s;
        String journal = "journal-" + s;
        kafka.createTopics(2, news, actions, dlq);
        String job = "journal-" + s;
        Set<String> expected = writeNews(kafka, news, job);

        // Run 1: no periodic checkpoint (1 h); the stub holds every answer until released.
        try (StubLlmServer first = StubLlmServer.start()) {
            first.hold();
            JobFile file = jobFile(job, kafka, first, news, actions, dlq, "1h", journal);
            StreamExecutionEnvironment env = environment(file, checkpoints, null);
            env.setParallelism(2);
            build(env, file);
            JobClient run = env.executeAsync(job);
            Await.until("all requests in flight", WAIT, () -> first.inFlight() >= TRIGGERS);
            long checkpoint =
                    cluster.triggerCheckpoint(run.getJobID(), CheckpointType.DEFAULT)
                            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            first.release();
            TopicReader.awaitAtLeast(kafka.bootstrapServers(), journal, TRIGGERS, WAIT);
            run.cancel().get(); // the failure: after the answers, before any further checkpoint
            assertThat(read(kafka, actions))
                    .as("nothing committed: the decisions were only in the cancelled transaction")
                    .isEmpty();
            assertThat(first.answersByRequestId().values()).hasSize(TRIGGERS).containsOnly(1L);
            Path restoreFrom =
                    checkpoints.resolve(run.getJobID().toString()).resolve("chk-" + checkpoint);

            // Run 2: restore; the LLM would answer, but must not be asked.
            try (StubLlmServer second = StubLlmServer.start()) {
                JobFile again = jobFile(job, kafka, second, news, actions, dlq, "300ms", journal);
                StreamExecutionEnvironment env2 =
                        environment(again, checkpoints, restoreFrom.toUri().toString());
                env2.setParallelism(1);
                build(env2, again);
                JobClient restored = env2.executeAsync(job);
                TopicReader.awaitAtLeast(kafka.bootstrapServers(), actions, TRIGGERS, WAIT);
                restored.cancel().get();

                List<String> ids = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : read(kafka, actions)) {
                    ids.add(Json.MAPPER.readTree(r.value()).get("action_id").asText());
                }
                assertThat(ids).hasSize(TRIGGERS).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(read(kafka, dlq)).isEmpty();
                assertThat(second.requests())
                        .as("every pending request decided from the journal, none sent")
                        .isZero();
                System.out.println(
                        "journal: "
                                + TRIGGERS
                                + " requests pending at the checkpoint, answered after it; after"
                                + " the restore, "
                                + second.requests()
                                + " LLM calls (without the journal: "
                                + TRIGGERS
                                + ")");
            }
        }
    }

    /** Writes one alarming headline per key; the action ids their decisions must have. */
    private static Set<String> writeNews(EmbeddedKafka kafka, String news, String job)
            throws Exception {
        FeedGenerator.produceAlarmingNews(kafka.bootstrapServers(), news, "x", "FO", TRIGGERS);
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < TRIGGERS; i++) {
            Trigger t = new Trigger("alarming-news", "FO" + i, 1_000 + i, List.of("x" + i), "");
            expected.add(ActionIds.actionId(ActionIds.requestId(job, t), 0));
        }
        return expected;
    }

    private static void build(StreamExecutionEnvironment env, JobFile job) {
        ReflexJob.defineWorkflow(
                env,
                job,
                KafkaConnectors.sources(env, job),
                KafkaConnectors.actionsSink(job.name(), job.sinks()),
                KafkaConnectors.deadLetterSink(job.name(), job.sinks()));
    }

    private static StreamExecutionEnvironment environment(
            JobFile job, Path checkpoints, String restoreFrom) {
        Configuration conf = ReflexJob.configuration(job);
        conf.setString("execution.checkpointing.dir", checkpoints.toUri().toString());
        conf.setString(
                "execution.checkpointing.externalized-checkpoint-retention",
                "RETAIN_ON_CANCELLATION");
        if (restoreFrom != null) {
            conf.setString("execution.state-recovery.path", restoreFrom);
        }
        return StreamExecutionEnvironment.getExecutionEnvironment(conf);
    }

    /** The newest completed checkpoint written after {@code since}, if any. */
    private static Optional<Path> checkpointAfter(Path root, long since) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.getFileName().toString().equals("_metadata"))
                    .filter(p -> p.toFile().lastModified() > since)
                    .map(Path::getParent)
                    .max(
                            (a, b) ->
                                    Long.compare(
                                            a.toFile().lastModified(), b.toFile().lastModified()));
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(EmbeddedKafka kafka, String topic) {
        return TopicReader.readAll(kafka.bootstrapServers(), topic, Duration.ofSeconds(30));
    }

    private static JobFile jobFile(
            String job,
            EmbeddedKafka kafka,
            StubLlmServer stub,
            String news,
            String actions,
            String dlq)
            throws Exception {
        return jobFile(job, kafka, stub, news, actions, dlq, "300ms", "reflex.llm-journal");
    }

    private static JobFile jobFile(
            String job,
            EmbeddedKafka kafka,
            StubLlmServer stub,
            String news,
            String actions,
            String dlq,
            String checkpointInterval,
            String journal)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job:",
                        "  name: " + job,
                        "  checkpoint-interval: " + checkpointInterval,
                        "sources:",
                        "  - name: news",
                        "    bootstrap-servers: " + kafka.bootstrapServers(),
                        "    topics: [" + news + "]",
                        "    starting-offsets: earliest",
                        "    key: /symbol",
                        "    event-time: /ts",
                        "    event-id: /id",
                        "rules:",
                        "  - id: alarming-news",
                        "    type: match",
                        "    field: /headline",
                        "    pattern: fraud",
                        "llm:",
                        "  base-url: " + stub.baseUrl(),
                        "  model: stub-model",
                        "  timeout: 180s",
                        "  journal: {topic: " + journal + "}",
                        "actions:",
                        "  - type: alert",
                        "sinks:",
                        "  bootstrap-servers: " + kafka.bootstrapServers(),
                        "  actions-topic: " + actions,
                        "  dead-letter-topic: " + dlq,
                        "");
        return new JobFileParser(Map.of()).parse("failover.yaml", yaml);
    }
}
