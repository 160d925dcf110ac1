package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests for {@link ReflexCli}, run as its own process as {@code bin/reflex} runs it. */
class ReflexCliTest {

    @Test
    void anInvalidJobFileIsRefusedWithEveryProblemAndExitCode2(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "job: {name: j}\nsources:\n  - {name: s, topics: [t]}\n");
        Launched r = Launched.reflex("run", file.toString());
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
        assertThat(Launched.reflex("teleport").exit()).isEqualTo(2);
        Launched r = Launched.reflex("run");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.output()).contains("Missing required parameter: 'JOBFILE'");
        Launched none = Launched.reflex();
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.output()).contains("missing command (demo, run, backtest, tail or doctor)");
        Launched noJournal = Launched.reflex("backtest", "job.yaml");
        assertThat(noJournal.exit()).isEqualTo(2);
        assertThat(noJournal.output()).contains("Missing required option: '--journal=TOPIC'");
        Launched badTime =
                Launched.reflex("backtest", "job.yaml", "--journal", "j", "--from", "yesterday");
        assertThat(badTime.exit()).isEqualTo(2);
        assertThat(badTime.output())
                .contains("--from takes an ISO-8601 instant (2026-12-01T00:00:00Z) or epoch")
                .doesNotContain("\tat ");
    }

    @Test
    void aMisspeltOptionIsRefusedWithASuggestionNotIgnored(@TempDir Path dir) throws Exception {
        Launched r = Launched.reflex("demo", "--durration", "5s");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.output())
                .contains("Unknown options: '--durration'")
                .contains("Possible solutions: --duration");
        Launched trailing = Launched.reflex("demo", "--duration");
        assertThat(trailing.exit()).isEqualTo(2);
        assertThat(trailing.output())
                .contains("Missing required parameter for option '--duration'")
                .doesNotContain("Exception");
        Launched bad =
                Launched.reflex("run", dir.resolve("x.yaml").toString(), "--duration", "5 parsecs");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.output()).contains("bad duration '5 parsecs' (examples: 30s, 5m)");
    }

    @Test
    void everyCommandHasHelp() throws Exception {
        for (String command : List.of("demo", "run", "backtest", "tail", "doctor")) {
            Launched r = Launched.reflex(command, "--help");
            assertThat(r.exit()).as(command).isZero();
            assertThat(r.output()).as(command).contains("Usage: reflex " + command);
        }
    }
}
