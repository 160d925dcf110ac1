package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reflex demo --resume}: a demo stopped with a savepoint continues from it on the broker
 * data it kept; without a stopped demo, it says what to do and exits 2.
 */
class DemoResumeITCase {

    private static Launched demo(Path home, String... args) throws Exception {
        return Launched.run(
                ReflexCli.class,
                Duration.ofMinutes(3),
                Map.of("REFLEX_DEMO_HOME", home.toString()),
                List.of("-Dreflex.log.file=" + home.resolveSibling("demo.log")),
                java.util.stream.Stream.concat(
                                java.util.Arrays.stream(args),
                                java.util.stream.Stream.of(
                                        "--job-file", "../jobs/examples/market-watch.yaml"))
                        .toArray(String[]::new));
    }

    private static Properties saved(Path home) throws Exception {
        Properties p = new Properties();
        try (var in = Files.newInputStream(home.resolve("resume.properties"))) {
            p.load(in);
        }
        return p;
    }

    @Test
    void aStoppedDemoResumesFromItsSavepointOnItsKeptBroker(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("demo");
        Launched nothing = demo(home, "demo", "--resume", "--duration", "5s");
        assertThat(nothing.exit()).as(nothing.output()).isEqualTo(2);
        assertThat(nothing.output())
                .contains("no demo to resume in")
                .contains("run bin/reflex demo first");

        Launched first = demo(home, "demo", "--duration", "15s");
        System.out.println(first.output());
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output()).contains("to continue from here: bin/reflex demo --resume");
        String savepoint = saved(home).getProperty("market-watch");
        assertThat(savepoint).startsWith("file:" + home.resolve("state/savepoints"));

        Launched second = demo(home, "demo", "--resume", "--duration", "15s");
        System.out.println(second.output());
        // Flink fails a job whose savepoint it cannot restore: exit 0 means it was restored.
        assertThat(second.exit()).as(second.output()).isZero();
        assertThat(second.output())
                .contains("its data kept in " + home.resolve("kafka"))
                .contains("resuming market-watch from " + savepoint)
                .contains("summary: ");
        assertThat(saved(home).getProperty("market-watch"))
                .as("the resumed demo's own savepoint, for the next --resume")
                .isNotEqualTo(savepoint)
                .startsWith("file:" + home.resolve("state/savepoints"));
    }
}
