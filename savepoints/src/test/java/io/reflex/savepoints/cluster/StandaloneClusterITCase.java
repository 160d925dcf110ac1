package io.reflex.savepoints.cluster;

import static io.reflex.sandbox.MarketEvents.news;
import static io.reflex.sandbox.MarketEvents.trade;
import static io.reflex.savepoints.cluster.StandaloneClusterFixture.await;
import static io.reflex.savepoints.cluster.StandaloneClusterFixture.jobId;
import static io.reflex.savepoints.cluster.StandaloneClusterFixture.savepoint;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.action.ActionIds;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import io.reflex.sandbox.MarketEvents;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tests for Reflex on a real standalone Flink cluster, driven through {@code bin/reflex} as a user
 * would: submit, upgrade through a savepoint with a changed job file and parallelism, rescale 1 → 2
 * → 1 with LLM requests pending, and a TaskManager killed with {@code kill -9}. Kafka and the stub
 * LLM run in JVMs of their own; the actions topic is read with {@code read_committed}.
 */
class StandaloneClusterITCase {
    private static final Duration WAIT = Duration.ofSeconds(120);

    private static Path dir;
    private static StandaloneClusterFixture cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        // Under target/, not a temporary folder, so that the logs outlive a failed run.
        dir =
                Files.createTempDirectory(
                        Files.createDirectories(Path.of("target/cluster-it")), "run-");
        cluster = StandaloneClusterFixture.start(dir.toAbsolutePath());
        assertThat(cluster.clusterStartOutput).contains("ready in", "1 TaskManager(s)");
    }

    /** A failed test must not leave its job holding the slots the next one needs. */
    @AfterEach
    void cancelRunningJobs() throws Exception {
        for (JsonNode j : cluster.rest("/jobs/overview").path("jobs")) {
            String state = j.path("state").asText();
            if (!state.equals("FINISHED") && !state.equals("CANCELED") && !state.equals("FAILED")) {
                cancel(j.path("jid").asText());
            }
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void upgradeCarriesKeyedStateAndCommitsEveryActionOnce() throws Exception {
        String name = "upgrade";
        cluster.kafka.createTopics(2, name + ".events", name + ".actions", name + ".dlq");
        Path v1 = jobFile(name, "fraud", 5, "You watch a market. Version one.");
        Path v2 =
                jobFile(name + "-v2", name, "fraud|recall", 3, "You watch a market. Version two.");

        String submitted = cluster.reflex("submit", v1.toString(), "--parallelism", "1");
        String job1 = jobId(submitted);
        assertThat(submitted).contains("running: every task up");

        // Phase 1: ten keys with quiet prices, twenty keys with one alarming headline each.
        List<String> events = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            for (int i = 0; i < 5; i++) {
                events.add(trade("p1-K" + k + "-" + i, "K" + k, 1_000 + i, 100 + i * 0.1));
            }
        }
        for (int n = 0; n < 20; n++) {
            events.add(news("p1-N" + n, "N" + n, 2_000, "N" + n + " fraud probe"));
        }
        produce(name + ".events", events);
        assertThat(cluster.awaitRecords(name + ".actions", 20, WAIT)).hasSize(20);

        String upgraded = cluster.reflex("upgrade", job1, v2.toString(), "--parallelism", "2");
        String upgradeSavepoint = savepoint(upgraded);
        String job2 = jobId(upgraded);
        assertThat(upgraded).contains("running: every task up");
        assertThat(cluster.job(job2).path("vertices").get(0).path("parallelism").asInt())
                .isEqualTo(2);

        // Phase 2: the same keys again. "recall" only fires under the new rule.
        events.clear();
        for (int k = 0; k < 10; k++) {
            for (int i = 0; i < 5; i++) {
                events.add(trade("p2-K" + k + "-" + i, "K" + k, 3_000 + i, 100.5 + i * 0.1));
            }
        }
        for (int n = 0; n < 20; n++) {
            String word = n % 2 == 0 ? "fraud" : "recall";
            events.add(news("p2-N" + n, "N" + n, 4_000, "N" + n + " " + word + " notice"));
        }
        produce(name + ".events", events);
        List<ConsumerRecord<byte[], byte[]>> actions =
                cluster.awaitRecords(name + ".actions", 40, WAIT);
        String later = savepoint(cluster.reflex("savepoint", job2));
        cancel(job2);

        Map<String, Integer> perKey = new HashMap<>();
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : actions) {
            JsonNode a = Json.MAPPER.readTree(r.value());
            ids.add(a.get("action_id").asText());
            perKey.merge(a.get("key").asText(), 1, Integer::sum);
        }
        assertThat(actions).as("one action per trigger, none lost or repeated").hasSize(40);
        assertThat(ids).as("action ids are unique").hasSize(40);
        for (int n = 0; n < 20; n++) {
            assertThat(perKey.get("N" + n)).as("actions for N" + n).isEqualTo(2);
        }
        assertThat(cluster.awaitRecords(name + ".dlq", 0, Duration.ZERO)).isEmpty();

        // Each key's state carried over: statistics keep counting, memory keeps growing.
        JsonNode before = inspectKey(upgradeSavepoint, "K3").get("detector");
        JsonNode after = inspectKey(later, "K3").get("detector");
        assertThat(before.at("/state/rules/price-move/count").asLong()).isEqualTo(5);
        assertThat(after.at("/state/rules/price-move/count").asLong()).isEqualTo(10);
        assertThat(before.at("/state/eventsSeen").asLong()).isEqualTo(5);
        assertThat(after.at("/state/eventsSeen").asLong()).isEqualTo(10);
        JsonNode memoryBefore = inspectKey(upgradeSavepoint, "N4").get("llm-agent");
        JsonNode memoryAfter = inspectKey(later, "N4").get("llm-agent");
        assertThat(memoryBefore.at("/memory/decisions")).hasSize(1);
        assertThat(memoryAfter.at("/memory/decisions")).hasSize(2);
    }

    @Test
    void refusesABadJobFileBeforeAnythingReachesTheCluster() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(
                bad,
                String.join(
                        "\n",
                        "job: {name: bad}",
                        "sources: [{name: s, type: kafka, topics: [t], key: symbol}]",
                        "rules: [{id: r, type: change-pct, field: /price}]",
                        "sinks: {actions-topic: a}",
                        ""));
        int jobsBefore = cluster.rest("/jobs/overview").path("jobs").size();
        String out = cluster.reflexExpecting(2, "submit", bad.toString());
        assertThat(out)
                .contains("sources[0].bootstrap-servers")
                .contains("sources[0].key")
                .contains("llm");
        assertThat(cluster.rest("/jobs/overview").path("jobs").size()).isEqualTo(jobsBefore);
    }

    @Test
    void rescalesOneTwoOneWithRequestsPendingAndCompletesEachOnce() throws Exception {
        String name = "rescale";
        cluster.kafka.createTopics(2, name + ".events", name + ".actions", name + ".dlq");
        Path file = jobFile(name, "fraud", 5, "You watch a market.");
        cluster.stubLatency(30_000);
        try {
            String job = jobId(cluster.reflex("submit", file.toString(), "--parallelism", "1"));
            List<String> events = new ArrayList<>();
            Set<String> expected = new HashSet<>();
            for (int n = 0; n < 16; n++) {
                String id = "r-" + n;
                events.add(news(id, "R" + n, 5_000 + n, "R" + n + " fraud probe"));
                Trigger t = new Trigger("alarming-news", "R" + n, 5_000 + n, List.of(id), "");
                expected.add(ActionIds.actionId(ActionIds.requestId(name, t), 0));
            }
            long before = cluster.stubStats().path("requests").asLong();
            produce(name + ".events", events);
            await(
                    "all 16 requests in flight",
                    WAIT,
                    () -> cluster.stubStats().path("requests").asLong() - before >= 16);

            String up = cluster.reflex("upgrade", job, file.toString(), "--parallelism", "2");
            job = jobId(up);
            await(
                    "pending requests re-issued at parallelism 2",
                    WAIT,
                    () -> cluster.stubStats().path("requests").asLong() - before >= 32);
            assertThat(cluster.awaitRecords(name + ".actions", 0, Duration.ZERO))
                    .as("no answer arrived yet")
                    .isEmpty();

            String down = cluster.reflex("upgrade", job, file.toString(), "--parallelism", "1");
            job = jobId(down);
            long pending =
                    inspect(savepoint(down), null).stream()
                            .filter(n -> n.path("pending").has("requestId"))
                            .count();
            assertThat(pending)
                    .as("the savepoint at parallelism 2 held every request")
                    .isEqualTo(16);
            List<ConsumerRecord<byte[], byte[]>> actions =
                    cluster.awaitRecords(name + ".actions", 16, WAIT);
            cancel(job);

            List<String> ids = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : actions) {
                ids.add(Json.MAPPER.readTree(r.value()).get("action_id").asText());
            }
            assertThat(ids)
                    .as("every pending request completed exactly once")
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(cluster.awaitRecords(name + ".dlq", 0, Duration.ZERO)).isEmpty();
        } finally {
            cluster.stubLatency(100);
        }
    }

    @Test
    void killedTaskManagerRestartsFromCheckpointWithEachActionOnce() throws Exception {
        String name = "failover";
        cluster.kafka.createTopics(2, name + ".events", name + ".actions", name + ".dlq");
        Path file = jobFile(name, "fraud", 5, "You watch a market.");
        String job = jobId(cluster.reflex("submit", file.toString(), "--parallelism", "2"));

        Set<String> expected = new HashSet<>();
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        for (int n = 0; n < 60; n++) {
            String id = "f-" + n;
            (n < 30 ? first : second).add(news(id, "F" + n, 6_000 + n, "F" + n + " fraud"));
            Trigger t = new Trigger("alarming-news", "F" + n, 6_000 + n, List.of(id), "");
            expected.add(ActionIds.actionId(ActionIds.requestId(name, t), 0));
        }
        long answeredBefore = cluster.stubStats().path("answered_request_ids").asLong();
        produce(name + ".events", first);
        cluster.awaitRecords(name + ".actions", 10, WAIT);
        produce(name + ".events", second);
        // Kill once every answer is in: those given since the last checkpoint (1 s) would be
        // bought again without the response journal.
        await(
                "all 60 requests answered",
                WAIT,
                () ->
                        cluster.stubStats().path("answered_request_ids").asLong()
                                >= answeredBefore + 60);

        long tm = cluster.pid("taskmanager-1");
        JsonNode beforeKill = cluster.stubStats();
        long killedAt = System.currentTimeMillis();
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(tm)).start();
        assertThat(kill.waitFor()).isZero();
        // Requests the dead TaskManager had in flight: those in flight at the sample above, and
        // any that arrived between it and the kill. Only they may be asked again: every answer
        // that arrived before the kill is in the LLM response journal.
        long inFlightAtKill =
                beforeKill.path("in_flight").asLong()
                        + cluster.stubStats().path("requests").asLong()
                        - beforeKill.path("requests").asLong();
        await(
                "the TaskManager is gone",
                WAIT,
                () -> ProcessHandle.of(tm).map(p -> !p.isAlive()).orElse(true));
        // A replacement TaskManager, as an operator would bring one back.
        cluster.reflex("cluster", "start", "--taskmanagers", "1");

        List<ConsumerRecord<byte[], byte[]>> actions =
                cluster.awaitRecords(name + ".actions", 60, WAIT);
        await("the job restarted", WAIT, () -> restartedAfter(cluster.job(job), killedAt));
        JsonNode restarted = cluster.job(job);
        long upAgain = 0;
        for (JsonNode v : restarted.path("vertices")) {
            upAgain = Math.max(upAgain, v.path("start-time").asLong());
        }
        System.out.printf(
                "failover: TaskManager killed, a replacement started, every task deployed again"
                        + " %.1f s after the kill%n",
                (upAgain - killedAt) / 1e3);
        // A duplicate would be committed by a later checkpoint: let two more complete.
        long completed = completedCheckpoints(job);
        await(
                "two more checkpoints complete",
                WAIT,
                () -> completedCheckpoints(job) >= completed + 2);
        List<ConsumerRecord<byte[], byte[]>> settled =
                cluster.awaitRecords(name + ".actions", actions.size(), WAIT);
        cancel(job);

        List<String> ids = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : settled) {
            ids.add(Json.MAPPER.readTree(r.value()).get("action_id").asText());
            // These events happen in 1970. Stamped with that event time, the broker's retention
            // check (every 5 minutes) deleted the first committed actions in two verify runs.
            assertThat(r.timestamp())
                    .as("an action of an event older than the retention has the producer's clock")
                    .isGreaterThanOrEqualTo(killedAt - WAIT.toMillis());
        }
        assertThat(actions).hasSizeGreaterThanOrEqualTo(60);
        JsonNode stub = cluster.stubStats();
        // The stub serves the whole class: count only what changed since this test's kill.
        long askedAgain =
                stub.path("request_ids_answered_more_than_once").asLong()
                        - beforeKill.path("request_ids_answered_more_than_once").asLong();
        System.out.printf(
                "failover: 60 requests answered before the kill, %d asked again after it (at most"
                        + " %d were in flight when the TaskManager died); %d decided from the"
                        + " journal after the restart%n",
                askedAgain, inFlightAtKill, journalHits(job));
        assertThat(askedAgain)
                .as(
                        "only requests in flight at the kill are asked again (the journal has the rest)")
                .isLessThanOrEqualTo(inFlightAtKill);
        assertThat(ids)
                .as("each action exactly once across the TaskManager's death")
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    /**
     * A savepoint of 100,000 keys of detector state: its size and how long it takes to write, and
     * how long a job restored from it takes from submit to running, against a job submitted without
     * state in the same run. Figures are printed, not asserted; what is asserted is that the
     * restored statistics fire on the next event of a sample of keys.
     */
    @Test
    void savepointOfOneHundredThousandKeysRestores() throws Exception {
        String name = "keys100k";
        int keys = 100_000;
        cluster.kafka.createTopics(2, name + ".events", name + ".actions", name + ".dlq");
        Path file = jobFile(name, "fraud", 5, "You watch a market.");
        String job = jobId(cluster.reflex("submit", file.toString(), "--parallelism", "2"));
        // The baseline: the same upgrade while the job has no keyed state yet.
        String empty = cluster.reflex("upgrade", job, file.toString(), "--parallelism", "2");
        job = jobId(empty);
        List<String> events = new ArrayList<>(keys);
        for (int k = 0; k < keys; k++) {
            events.add(trade("s-" + k, "S" + k, 7_000, 100));
        }
        produce(name + ".events", events);
        await(
                "all " + keys + " events read and checkpointed",
                WAIT,
                () -> cluster.kafka.committedOffsets(name) >= keys);
        String full = job;

        long t0 = System.nanoTime();
        String path = savepoint(cluster.reflex("savepoint", full));
        double savepointSeconds = (System.nanoTime() - t0) / 1e9;
        Path dirOnDisk = Path.of(java.net.URI.create(path));
        long bytes;
        try (Stream<Path> files = Files.walk(dirOnDisk)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        String upgraded = cluster.reflex("upgrade", full, file.toString(), "--parallelism", "2");
        String restored = jobId(upgraded);

        // A 10% jump on a sample of keys fires only against their restored statistics.
        List<String> jumps = new ArrayList<>();
        for (int k = 0; k < keys; k += 1_000) {
            jumps.add(trade("s-jump-" + k, "S" + k, 8_000, 110));
        }
        produce(name + ".events", jumps);
        assertThat(cluster.awaitRecords(name + ".actions", jumps.size(), WAIT))
                .as("one action per sampled key, from restored statistics")
                .hasSize(jumps.size());
        cancel(restored);

        System.out.printf(
                "savepoint of %,d keys: %.1f MB (%s), bin/reflex savepoint took %.1f s;"
                        + " upgrade with that state: %s; the same upgrade without state: %s%n",
                keys,
                bytes / 1e6,
                path,
                savepointSeconds,
                upgradeFigures(upgraded),
                upgradeFigures(empty));
    }

    /** The stop and submit-to-running figures that {@code bin/reflex upgrade} printed. */
    private static String upgradeFigures(String output) {
        java.util.regex.Matcher stop =
                java.util.regex.Pattern.compile("stopped in ([0-9.]+ s)").matcher(output);
        java.util.regex.Matcher run =
                java.util.regex.Pattern.compile("every task up ([0-9.]+ s) after submit")
                        .matcher(output);
        assertThat(stop.find() && run.find()).as("figures in:%n%s", output).isTrue();
        return "stopped with a savepoint in "
                + stop.group(1)
                + ", restored job running "
                + run.group(1)
                + " after submit";
    }

    /** The job's {@code journalHits} since its last (re)start, summed over subtasks. */
    private static long journalHits(String job) throws Exception {
        long sum = 0;
        for (JsonNode v : cluster.job(job).path("vertices")) {
            String base =
                    "/jobs/" + job + "/vertices/" + v.path("id").asText() + "/subtasks/metrics";
            for (JsonNode m : cluster.rest(base)) {
                String id = m.path("id").asText();
                if (id.endsWith("journalHits")) {
                    JsonNode agg =
                            cluster.rest(
                                    base
                                            + "?agg=sum&get="
                                            + java.net.URLEncoder.encode(
                                                    id, java.nio.charset.StandardCharsets.UTF_8));
                    sum += agg.path(0).path("sum").asLong();
                }
            }
        }
        return sum;
    }

    private static void cancel(String jobId) throws Exception {
        cluster.cancel(jobId, WAIT);
    }

    /** {@code bin/reflex savepoint inspect PATH --key K}, by operator. */
    private static Map<String, JsonNode> inspectKey(String savepoint, String key) throws Exception {
        Map<String, JsonNode> byOperator = new HashMap<>();
        for (JsonNode n : inspect(savepoint, key)) {
            byOperator.put(n.get("operator").asText(), n);
        }
        return byOperator;
    }

    /** {@code bin/reflex savepoint inspect PATH [--key K]}: its JSON lines. */
    private static List<JsonNode> inspect(String savepoint, String key) throws Exception {
        String out =
                key == null
                        ? cluster.reflex("savepoint", "inspect", savepoint)
                        : cluster.reflex("savepoint", "inspect", savepoint, "--key", key);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("{")) {
                lines.add(Json.MAPPER.readTree(line));
            }
        }
        return lines;
    }

    /** True once every task of the job runs again in an attempt deployed after {@code since}. */
    private static boolean restartedAfter(JsonNode job, long since) {
        if (!job.path("state").asText().equals("RUNNING")) {
            return false;
        }
        for (JsonNode v : job.path("vertices")) {
            if (!v.path("status").asText().equals("RUNNING")
                    || v.path("start-time").asLong() < since) {
                return false;
            }
        }
        return true;
    }

    private static long completedCheckpoints(String jobId) throws Exception {
        return cluster.rest("/jobs/" + jobId + "/checkpoints")
                .path("counts")
                .path("completed")
                .asLong();
    }

    private static void produce(String topic, List<String> values) {
        MarketEvents.produce(cluster.kafka.bootstrapServers(), topic, values);
    }

    private static Path jobFile(String name, String pattern, int pct, String prompt)
            throws Exception {
        return jobFile(name, name, pattern, pct, prompt);
    }

    /** A job file named {@code job} that reads and writes the topics of test {@code topics}. */
    private static Path jobFile(String job, String topics, String pattern, int pct, String prompt)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job:",
                        "  name: " + topics,
                        "  parallelism: 1",
                        "  checkpoint-interval: 1s",
                        "sources:",
                        "  - name: events",
                        "    bootstrap-servers: ${REFLEX_KAFKA_BOOTSTRAP}",
                        "    topics: [" + topics + ".events]",
                        "    group-id: " + topics,
                        "    starting-offsets: earliest",
                        "    key: /symbol",
                        "    event-time: /ts",
                        "    event-id: /id",
                        "rules:",
                        "  - id: price-move",
                        "    type: change-pct",
                        "    field: /price",
                        "    window: 10m",
                        "    threshold-pct: " + pct,
                        "  - id: alarming-news",
                        "    type: match",
                        "    field: /headline",
                        "    pattern: \"" + pattern + "\"",
                        "llm:",
                        "  base-url: ${OPENAI_BASE_URL}",
                        "  api-key: ${OPENAI_API_KEY:-}",
                        "  model: stub-model",
                        "  timeout: 60s",
                        "  system-prompt: " + prompt,
                        "actions:",
                        "  - type: alert",
                        "sinks:",
                        "  bootstrap-servers: ${REFLEX_KAFKA_BOOTSTRAP}",
                        "  actions-topic: " + topics + ".actions",
                        "  dead-letter-topic: " + topics + ".dlq",
                        "");
        Path file = dir.resolve(job + ".yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
