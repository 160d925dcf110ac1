package io.reflex.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.model.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link Bench}: every benchmark runs at a tiny size into a temporary results directory
 * and writes a report with the machine, its parameters, and positive figures for Reflex and its
 * baselines. Checks the harness only; the figures of a smoke run mean nothing, and no timing is
 * asserted.
 */
class BenchSmokeITCase {

    @TempDir Path out;

    @Test
    void everyBenchmarkWritesItsReportWithPositiveFigures() throws Exception {
        List<String> names = new ArrayList<>(Bench.ALL.keySet());
        Bench.runAll(names, out, true);

        for (String name : names) {
            JsonNode r = Json.MAPPER.readTree(out.resolve(name + ".json").toFile());
            assertThat(r.get("benchmark").asText()).isEqualTo(name);
            assertThat(r.at("/environment/cores").asInt()).isPositive();
            assertThat(r.at("/environment/jvm").asText()).isNotBlank();
            assertThat(r.at("/environment/flink").asText()).startsWith("2.");
            assertThat(r.at("/environment/kafka").asText()).startsWith("4.");
            assertThat(r.get("params").size()).as(name + " params").isPositive();
            assertThat(r.get("results").size()).as(name + " results").isGreaterThanOrEqualTo(2);
            assertThat(r.get("ratios").size()).as(name + " ratios").isPositive();
            for (JsonNode ratio : r.get("ratios")) {
                assertThat(ratio.get("value").isNumber()).as(name + " " + ratio).isTrue();
            }
            assertThat(Files.readString(out.resolve(name + ".md")))
                    .contains("bin/reflex bench " + name)
                    .contains("## Environment");
            assertThat(Files.size(out.resolve(name + ".png"))).as(name + " chart").isPositive();
        }

        assertThat(figures("ingest", "events_per_second")).hasSize(3).allMatch(v -> v > 0);
        // Four variants (the agent, the agent with its journal, AsyncWaitOperator, a sync map) at
        // two
        // capacities.
        assertThat(figures("llm-concurrency", "calls_per_second")).hasSize(8).allMatch(v -> v > 0);
        assertThat(figures("burst-cost", "llm_calls")).hasSize(2).allMatch(v -> v > 0);
        assertThat(figures("burst-cost", "triggers_decided"))
                .as("every trigger is decided in both variants")
                .containsOnly(figures("burst-cost", "triggers").get(0));
        assertThat(figures("latency", "p99_ms")).hasSize(3).allMatch(v -> v > 0);
        assertThat(figures("latency", "samples")).allMatch(v -> v > 0);
        assertThat(figures("state-size", "rocksdb_disk_mb_per_100k_keys"))
                .hasSize(3)
                .allMatch(v -> v > 0);
        assertThat(figures("state-size", "checkpoint_mb")).hasSize(3).allMatch(v -> v > 0);
        assertThat(figures("quota", "admitted_requests")).hasSize(2).allMatch(v -> v > 0);
        assertThat(figures("failover-cost", "llm_calls_after_the_loss"))
                .as("with the journal none is bought again; without it, all 10")
                .containsExactly(0.0, 10.0);
        assertThat(figures("failover-cost", "unique_action_ids")).containsExactly(10.0, 10.0);
        assertThat(figures("outputs-cost", "events_per_second")).hasSize(2).allMatch(v -> v > 0);
        assertThat(figures("outputs-cost", "state_records_per_run")).allMatch(v -> v > 0);
    }

    private List<Double> figures(String benchmark, String field) throws Exception {
        List<Double> values = new ArrayList<>();
        for (JsonNode row :
                Json.MAPPER.readTree(out.resolve(benchmark + ".json").toFile()).get("results")) {
            if (row.has(field)) {
                values.add(row.get(field).asDouble());
            }
        }
        return values;
    }
}
