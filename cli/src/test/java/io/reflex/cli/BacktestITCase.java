package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.model.Json;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.FeedGenerator;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reflex run} with {@code llm.mode: record}, then {@code reflex backtest} over the same
 * history, each in a JVM of its own as {@code bin/reflex} runs them, against a real broker and the
 * stub LLM over HTTP.
 */
class BacktestITCase {
    private static final int KEYS = 12;
    private static final Pattern SUMMARY =
            Pattern.compile("backtest: answers_from_journal=(\\d+) misses=(\\d+) llm_calls=(\\d+)");

    @Test
    void aBacktestReplaysARecordedRunForFreeIdenticallyAndAsksOnlyForWhatChanged(@TempDir Path dir)
            throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        String news = "news-bt-" + s;
        String journal = "journal-bt-" + s;
        kafka.createTopics(2, news, "actions-bt-" + s, "dlq-bt-" + s);
        FeedGenerator.produceAlarmingNews(kafka.bootstrapServers(), news, "x", "BT", KEYS);

        // Record: a live run over the topic, its answers kept in the journal.
        try (StubLlmServer live = StubLlmServer.start()) {
            Path recordFile = dir.resolve("record.yaml");
            Files.writeString(recordFile, yaml(s, kafka, news, live.baseUrl(), "record", ""));
            Launched recorded = Launched.reflex("run", recordFile.toString());
            assertThat(recorded.exit()).as(recorded.output()).isZero();
            assertThat(live.answersByRequestId()).hasSize(KEYS);
        }

        try (StubLlmServer unused = StubLlmServer.start()) {
            Path file = dir.resolve("backtest.yaml");
            Files.writeString(file, yaml(s, kafka, news, unused.baseUrl(), "live", ""));
            List<List<String>> runs = new ArrayList<>();
            for (int run = 1; run <= 2; run++) {
                String topic = "actions-bt-" + s + ".run" + run;
                Launched r =
                        Launched.reflex(
                                "backtest",
                                file.toString(),
                                "--journal",
                                journal,
                                "--actions-topic",
                                topic);
                assertThat(r.exit()).as(r.output()).isZero();
                Matcher m = SUMMARY.matcher(r.output());
                assertThat(m.find()).as(r.output()).isTrue();
                assertThat(m.group(1)).as("answers from the journal").isEqualTo("" + KEYS);
                assertThat(m.group(2)).as("misses").isEqualTo("0");
                assertThat(m.group(3)).as("LLM calls").isEqualTo("0");
                runs.add(values(kafka, topic));
            }
            assertThat(unused.requests()).as("no backtest called the LLM").isZero();
            assertThat(runs.get(0)).hasSize(KEYS);
            assertThat(runs.get(1))
                    .as("two backtests give byte-identical actions")
                    .containsExactlyInAnyOrderElementsOf(runs.get(0));
        }

        // A changed prompt for two keys: only their requests are asked, live, and journaled.
        try (StubLlmServer asked = StubLlmServer.start()) {
            Path changed = dir.resolve("changed.yaml");
            Files.writeString(
                    changed,
                    yaml(
                            s,
                            kafka,
                            news,
                            asked.baseUrl(),
                            "live",
                            "  replay: {on-miss: live}\n"
                                    + "  prompt-template: \"Entity: {{key}}\\nRule:"
                                    + " {{rule}}\\n{{actions}}\\n{{context}}\\n"
                                    + "(key-specific note)\"\n"));
            // The template applies to every key: all requests change, and all are asked.
            Launched r = Launched.reflex("backtest", changed.toString(), "--journal", journal);
            assertThat(r.exit()).as(r.output()).isZero();
            Matcher m = SUMMARY.matcher(r.output());
            assertThat(m.find()).as(r.output()).isTrue();
            assertThat(m.group(1)).as("nothing matches a changed prompt").isEqualTo("0");
            assertThat(m.group(2)).isEqualTo("" + KEYS);
            assertThat(asked.answersByRequestId()).hasSize(KEYS);

            // Their answers are journaled: the same changed backtest again asks nothing.
            Launched again =
                    Launched.reflex(
                            "backtest",
                            changed.toString(),
                            "--journal",
                            journal,
                            "--actions-topic",
                            "actions-bt-" + s + ".again");
            assertThat(again.exit()).as(again.output()).isZero();
            Matcher m2 = SUMMARY.matcher(again.output());
            assertThat(m2.find()).as(again.output()).isTrue();
            assertThat(m2.group(1)).isEqualTo("" + KEYS);
            assertThat(m2.group(3)).isEqualTo("0");
            assertThat(asked.requests()).isEqualTo(KEYS);
        }

        // A second rule that fires for two keys only: their new requests are asked, nothing else.
        try (StubLlmServer asked = StubLlmServer.start()) {
            Path twoMore = dir.resolve("two-more.yaml");
            Files.writeString(
                    twoMore,
                    yaml(s, kafka, news, asked.baseUrl(), "live", "  replay: {on-miss: live}\n")
                            .replace(
                                    "llm:\n",
                                    "  - {id: urgent, type: match, field: /headline,"
                                            + " pattern: 'BT1[01] '}\nllm:\n"));
            Launched r =
                    Launched.reflex(
                            "backtest",
                            twoMore.toString(),
                            "--journal",
                            journal,
                            "--actions-topic",
                            "actions-bt-" + s + ".two-more");
            assertThat(r.exit()).as(r.output()).isZero();
            Matcher m = SUMMARY.matcher(r.output());
            assertThat(m.find()).as(r.output()).isTrue();
            assertThat(m.group(1)).as("every recorded request is served").isEqualTo("" + KEYS);
            assertThat(m.group(2)).as("only the two keys' new requests miss").isEqualTo("2");
            long misses = 2;
            assertThat(asked.requests())
                    .as("every miss, and nothing else, asked")
                    .isEqualTo(misses);
            assertThat(asked.answersByRequestId()).hasSize((int) misses);
        }

        // reflex tail reads the actions and the journal back, one readable line each.
        String b = kafka.bootstrapServers();
        String run1 = "actions-bt-" + s + ".run1";
        Launched all =
                Launched.reflex(
                        "tail",
                        run1,
                        "--bootstrap-servers",
                        b,
                        "--from-beginning",
                        "--max",
                        "12",
                        "--duration",
                        "60s");
        assertThat(all.exit()).as(all.output()).isZero();
        assertThat(all.output().lines().filter(l -> l.contains("  action  BT"))).hasSize(KEYS);
        Launched one =
                Launched.reflex(
                        "tail",
                        run1,
                        "--bootstrap-servers",
                        b,
                        "--from-beginning",
                        "--key",
                        "BT3",
                        "--duration",
                        "10s");
        assertThat(one.exit()).as(one.output()).isZero();
        assertThat(one.output().lines().filter(l -> l.contains("  action  ")))
                .singleElement()
                .asString()
                .contains("action  BT3 ");
        Launched entries =
                Launched.reflex(
                        "tail",
                        journal,
                        "--bootstrap-servers",
                        b,
                        "--from-beginning",
                        "--max",
                        "1",
                        "--duration",
                        "60s");
        assertThat(entries.exit()).as(entries.output()).isZero();
        assertThat(entries.output())
                .containsPattern("  journal BT\\d+  request=[0-9a-f]{32} triggers=1");
    }

    /** The committed record values of {@code topic}, as text, sorted. */
    private static List<String> values(EmbeddedKafka kafka, String topic) throws Exception {
        Set<String> out = new TreeSet<>();
        List<ConsumerRecord<byte[], byte[]>> records =
                TopicReader.readAll(kafka.bootstrapServers(), topic, Duration.ofSeconds(30));
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Json.MAPPER.readTree(r.value()); // each one is JSON
            out.add(new String(r.value(), StandardCharsets.UTF_8));
        }
        assertThat(out).as("no duplicate record").hasSize(records.size());
        return new ArrayList<>(out);
    }

    private static String yaml(
            String s, EmbeddedKafka kafka, String news, String llm, String mode, String more) {
        return String.join(
                "\n",
                "job: {name: bt-" + s + ", checkpoint-interval: 500ms, parallelism: 2}",
                "sources:",
                "  - name: news",
                "    bootstrap-servers: " + kafka.bootstrapServers(),
                "    topics: [" + news + "]",
                "    starting-offsets: earliest",
                "    bounded: true",
                "    key: /symbol",
                "    event-time: /ts",
                "    event-id: /id",
                "rules:",
                "  - {id: alarming-news, type: match, field: /headline, pattern: fraud}",
                "llm:",
                "  base-url: '" + llm + "'",
                "  model: stub-model",
                "  mode: " + mode,
                "  journal: {topic: journal-bt-" + s + "}",
                more + "actions:",
                "  - type: alert",
                "sinks:",
                "  bootstrap-servers: " + kafka.bootstrapServers(),
                "  actions-topic: actions-bt-" + s,
                "  dead-letter-topic: dlq-bt-" + s,
                "");
    }
}
