package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.cli.cluster.ClusterCli;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.StubLlmServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for the edges of {@code reflex run} and {@code reflex submit}: the preflight refuses a job
 * file whose topics are missing, and a run that cannot take its final savepoint ends with one line,
 * not a stack trace.
 */
class RunPreflightAndStopITCase {

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.shared();
    }

    @Test
    void runAndSubmitRefuseAJobFileNamingAMissingTopic(@TempDir Path dir) throws Exception {
        String s = UUID.randomUUID().toString().substring(0, 8);
        kafka.createTopics(1, "present-" + s);
        Path file = dir.resolve("job.yaml");
        Files.writeString(
                file, yaml(s, List.of("present-" + s, "missing-" + s), "http://127.0.0.1:9/v1"));

        for (Launched r :
                List.of(
                        Launched.run(
                                ReflexCli.class,
                                java.time.Duration.ofSeconds(90),
                                "run",
                                file.toString()),
                        Launched.run(
                                ClusterCli.class,
                                java.time.Duration.ofSeconds(90),
                                "submit",
                                file.toString()))) {
            assertThat(r.exit()).as(r.output()).isEqualTo(2);
            assertThat(r.output())
                    .contains("cannot start, 1 problem(s) with its Kafka topics")
                    .contains(
                            "sources[0] (trades).topics: topic 'missing-"
                                    + s
                                    + "' does not exist on "
                                    + kafka.bootstrapServers())
                    .doesNotContain("'present-" + s + "'")
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void aRunThatCannotTakeItsFinalSavepointEndsWithOneLine(@TempDir Path dir) throws Exception {
        String s = UUID.randomUUID().toString().substring(0, 8);
        try (StubLlmServer stub = StubLlmServer.start()) {
            // Past the preflight (the runner alone): a missing source topic fails the job's
            // enumerator on every start, so the job keeps restarting and no savepoint can be
            // taken.
            JobFile job =
                    new JobFileParser(Map.of())
                            .parse("job.yaml", yaml(s, List.of("missing-" + s), stub.baseUrl()));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            LocalRunner runner = new LocalRunner(job, dir, out, Duration.ofSeconds(5));

            int exit = runner.run(Duration.ofSeconds(3), null);

            String output = bytes.toString(StandardCharsets.UTF_8);
            System.out.println("reflex run's output:\n" + output);
            assertThat(exit).as(output).isEqualTo(1);
            List<String> lines =
                    output.lines().filter(l -> l.startsWith("reflex: could not take")).toList();
            assertThat(lines).as(output).hasSize(1);
            assertThat(lines.get(0))
                    .contains("within 5 s")
                    .contains("cancelled the job; newest retained checkpoint: ")
                    .endsWith("; exit 1");
            assertThat(output).doesNotContain("\tat ").doesNotContain("Exception:");
        }
    }

    private static String yaml(String s, List<String> topics, String llm) {
        return String.join(
                "\n",
                "job: {name: preflight-" + s + ", checkpoint-interval: 1s, parallelism: 1}",
                "sources:",
                "  - name: trades",
                "    bootstrap-servers: " + kafka.bootstrapServers(),
                "    topics: [" + String.join(", ", topics) + "]",
                "    key: /symbol",
                "rules:",
                "  - {id: m, type: match, field: /headline, pattern: x}",
                "llm: {base-url: '" + llm + "', model: m}",
                "actions:",
                "  - type: alert",
                "sinks:",
                "  bootstrap-servers: " + kafka.bootstrapServers(),
                "  actions-topic: actions-" + s,
                "  dead-letter-topic: dlq-" + s,
                "");
    }
}
