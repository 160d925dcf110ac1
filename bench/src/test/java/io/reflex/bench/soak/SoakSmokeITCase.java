package io.reflex.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.model.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/reflex soak --smoke}: two minutes on a real standalone cluster with one of each fault
 * (a TaskManager killed, the broker restarted, an LLM outage, LLM faults, feed drops, malformed
 * records, prompt injections). Every target of the soak must be met, and the run must have been a
 * real one: requests decided, each fault injected, malformed records of every kind sent.
 */
class SoakSmokeITCase {

    @Test
    void everyFaultAtOnceLosesAndDuplicatesNothing() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        assertThat(root.resolve("bin/reflex")).as("run from the bench module").exists();
        Path work =
                Files.createTempDirectory(Files.createDirectories(Path.of("target/soak")), "run-");
        Path out = work.resolve("report");
        SoakCheck check =
                new Soak(
                                new Soak.Options(
                                        Duration.ofMinutes(2), true, out, work.toAbsolutePath()),
                                root)
                        .run();

        JsonNode report = Json.MAPPER.readTree(out.resolve("soak.json").toFile());
        List<String> missed = new ArrayList<>();
        for (JsonNode t : report.get("targets")) {
            if (!t.get("met").asBoolean()) {
                missed.add(t.toString());
            }
        }
        assertThat(missed).as("targets missed; figures: %s", report.get("figures")).isEmpty();
        assertThat(check.passed()).isTrue();

        JsonNode f = report.get("figures");
        assertThat(f.at("/requests/expected").asLong()).isGreaterThan(100);
        assertThat(f.at("/requests/from_feed").asLong()).isPositive();
        assertThat(f.at("/requests/acted").asLong())
                .as("most requests end in an action, not a dead letter")
                .isGreaterThan(f.at("/requests/expected").asLong() / 2);
        assertThat(f.at("/injections/sent").asLong()).isPositive();
        assertThat(f.at("/malformed_kafka/kinds").size()).isEqualTo(14);
        assertThat(f.at("/malformed_feed/sent").asLong()).isPositive();
        assertThat(f.at("/llm/outcomes/unavailable").asLong()).as("the outage").isPositive();
        assertThat(f.at("/llm/outcomes/injection_obeyed").asLong()).isPositive();
        assertThat(f.at("/restarts/by_cause/taskmanager killed").asLong()).isPositive();
        assertThat(f.at("/secrets/files_searched").asLong()).isGreaterThan(5);
        List<String> kinds = new ArrayList<>();
        report.get("faults").forEach(x -> kinds.add(x.get("kind").asText()));
        assertThat(kinds)
                .contains(
                        "taskmanager-kill",
                        "broker-restart",
                        "llm-outage",
                        "llm-faults",
                        "feed-drops");
        assertThat(Files.readString(out.resolve("soak.md"))).contains("## Targets");
    }
}
