package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests for {@link ReflexCli}, run as its own process as {@code bin/reflex} runs it. */
class ReflexCliTest {

    private record Result(int exit, String output) {}

    private static Result cli(String... args) throws IOException, InterruptedException {
        List<String> cmd =
                new java.util.ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-cp",
                                System.getProperty("java.class.path"),
                                ReflexCli.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the launcher exits").isTrue();
        return new Result(
                p.exitValue(),
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void anInvalidJobFileIsRefusedWithEveryProblemAndExitCode2(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "job: {name: j}\nsources:\n  - {name: s, topics: [t]}\n");
        Result r = cli("run", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.output())
                .contains("sources[0].bootstrap-servers: required")
                .contains("sources[0].key: required")
                .contains("llm: required")
                .contains("sinks: required")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    @Test
    void unknownCommandsAndMissingArgumentsExitWith2() throws Exception {
        assertThat(cli("teleport").exit()).isEqualTo(2);
        Result r = cli("run");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.output()).contains("Missing required parameter: 'JOBFILE'");
        Result none = cli();
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.output()).contains("missing command (demo, run, backtest or tail)");
        Result noJournal = cli("backtest", "job.yaml");
        assertThat(noJournal.exit()).isEqualTo(2);
        assertThat(noJournal.output()).contains("Missing required option: '--journal=TOPIC'");
        Result badTime = cli("backtest", "job.yaml", "--journal", "j", "--from", "yesterday");
        assertThat(badTime.exit()).isEqualTo(2);
        assertThat(badTime.output())
                .contains("--from takes an ISO-8601 instant (2026-12-01T00:00:00Z) or epoch")
                .doesNotContain("\tat ");
    }

    @Test
    void aMisspeltOptionIsRefusedWithASuggestionNotIgnored(@TempDir Path dir) throws Exception {
        Result r = cli("demo", "--durration", "5s");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.output())
                .contains("Unknown options: '--durration'")
                .contains("Possible solutions: --duration");
        Result trailing = cli("demo", "--duration");
        assertThat(trailing.exit()).isEqualTo(2);
        assertThat(trailing.output())
                .contains("Missing required parameter for option '--duration'")
                .doesNotContain("Exception");
        Result bad = cli("run", dir.resolve("x.yaml").toString(), "--duration", "5 parsecs");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.output()).contains("bad duration '5 parsecs' (examples: 30s, 5m)");
    }

    @Test
    void everyCommandHasHelp() throws Exception {
        for (String command : List.of("demo", "run", "backtest", "tail")) {
            Result r = cli(command, "--help");
            assertThat(r.exit()).as(command).isZero();
            assertThat(r.output()).as(command).contains("Usage: reflex " + command);
        }
    }
}
