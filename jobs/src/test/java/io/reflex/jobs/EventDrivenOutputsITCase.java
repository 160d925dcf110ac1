package io.reflex.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.reflex.jobs.config.JobFile;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.MarketEvents;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tests the event-driven outputs on a MiniCluster at parallelism 2 with a real broker and the stub
 * LLM behind the OpenAI SDK: actions routed by type to three topics, the audit topic (one record
 * per LLM interaction, retried and dead-lettered ones included, matching the metrics), and the
 * compacted state changelog (each key's last state, written within its interval bound). Every
 * record on the new topics validates against its schema in {@code docs/}.
 */
class EventDrivenOutputsITCase {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            MiniClusters.twoSlots(REPORTER.addToConfiguration(new Configuration()));

    private static final int NEWS_KEYS = 36;
    private static final int BURST_TRADES = 300;
    private static final Duration STATE_INTERVAL = Duration.ofMillis(500);

    @Test
    void actionsAreRoutedByTypeEveryInteractionIsAuditedAndEachKeysStateIsPublished()
            throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> topicOf =
                Map.of(
                        "alert", "alerts-" + s,
                        "watch", "watches-" + s,
                        "escalate", "escalations-" + s);
        String news = "news-" + s;
        String trades = "trades-" + s;
        String dlq = "dlq-" + s;
        String audit = "audit-" + s;
        String state = "state-" + s;
        kafka.createTopics(2, news, trades, dlq, audit, "actions-" + s);
        kafka.createTopics(2, topicOf.values());
        kafka.createTopic(state, 2, Map.of("cleanup.policy", "compact"));

        List<String> newsRecords = new ArrayList<>();
        for (int i = 0; i < NEWS_KEYS; i++) {
            newsRecords.add(MarketEvents.news("n" + i, "N" + i, 1_000 + i, "N" + i + " fraud"));
        }
        MarketEvents.produce(kafka.bootstrapServers(), news, newsRecords);
        List<String> burst = new ArrayList<>();
        double lastPrice = 0;
        for (int i = 0; i < BURST_TRADES; i++) {
            lastPrice = 100 + (i % 7) * 0.25;
            burst.add(MarketEvents.trade("b" + i, "BURST", 1_000 + i, lastPrice));
        }
        MarketEvents.produce(kafka.bootstrapServers(), trades, burst);

        // Some attempts fail: those requests are retried, and some run out of attempts.
        StubLlmServer.Settings faults =
                StubLlmServer.Settings.healthy().withFaults(0.25, 0.25, 0, 0, 0);
        JobExecutionResult result;
        long ranMs;
        try (StubLlmServer stub = StubLlmServer.start(0, faults, 5)) {
            JobFile job = jobFile(s, kafka, stub, news, trades, topicOf, dlq, audit, state);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(
                            ReflexJob.configuration(job));
            ReflexJob.build(env, job, 2);
            long start = System.nanoTime();
            result = env.execute(job.name());
            ranMs = (System.nanoTime() - start) / 1_000_000;
        }

        // ---- routing: each action on its type's topic, once, and on no other
        JsonSchema actionSchema = schema("action.schema.json");
        Map<String, String> actionTopicById = new HashMap<>();
        for (Map.Entry<String, String> route : topicOf.entrySet()) {
            for (ConsumerRecord<byte[], byte[]> r : read(kafka, route.getValue())) {
                JsonNode a = Json.MAPPER.readTree(r.value());
                assertThat(actionSchema.validate(a))
                        .as("matches docs/action.schema.json")
                        .isEmpty();
                assertThat(a.get("type").asText())
                        .as("actions on " + route.getValue())
                        .isEqualTo(route.getKey());
                assertThat(actionTopicById.put(a.get("action_id").asText(), route.getValue()))
                        .as("each action once, on one topic")
                        .isNull();
            }
        }
        assertThat(read(kafka, "actions-" + s))
                .as("the default topic gets no routed type")
                .isEmpty();
        assertThat(new HashSet<>(actionTopicById.values()))
                .as("every routed topic got actions")
                .containsExactlyInAnyOrderElementsOf(topicOf.values());

        // ---- audit: one record per interaction; its actions are exactly those on the topics
        JsonSchema auditSchema = schema("audit.schema.json");
        Map<String, Integer> byOutcome = new HashMap<>();
        Set<String> requests = new HashSet<>();
        Set<String> auditedActions = new HashSet<>();
        Map<String, String> lastDecisionByKey = new HashMap<>();
        int retried = 0;
        int deadLetteredTriggers = 0;
        for (ConsumerRecord<byte[], byte[]> r : read(kafka, audit)) {
            JsonNode a = Json.MAPPER.readTree(r.value());
            assertThat(auditSchema.validate(a)).as("matches docs/audit.schema.json").isEmpty();
            assertThat(new String(r.key(), StandardCharsets.UTF_8))
                    .isEqualTo(a.get("key").asText());
            assertThat(requests.add(a.get("request_id").asText())).as("one per request").isTrue();
            String outcome = a.get("outcome").asText();
            byOutcome.merge(outcome, 1, Integer::sum);
            assertThat(a.at("/llm/attempts").asInt()).isBetween(1, 3);
            retried += a.at("/llm/attempts").asInt() > 1 ? 1 : 0;
            assertThat(a.has("prompt")).as("no prompt unless asked").isFalse();
            if (outcome.equals("dead_lettered")) {
                assertThat(a.get("cause").asText()).startsWith("after 3 attempt(s)");
                deadLetteredTriggers += a.get("triggers").size();
            } else {
                a.at("/decision/actions")
                        .forEach(x -> auditedActions.add(x.get("action_id").asText()));
                lastDecisionByKey.put(a.get("key").asText(), a.get("request_id").asText());
            }
        }
        assertThat(auditedActions).isEqualTo(actionTopicById.keySet());
        assertThat(retried).as("some requests were retried").isGreaterThan(0);
        assertThat(byOutcome.getOrDefault("dead_lettered", 0)).as("some ran out").isGreaterThan(0);
        long llmDeadLetters = read(kafka, dlq).stream().filter(r -> stage(r).equals("llm")).count();
        assertThat(deadLetteredTriggers).isEqualTo(llmDeadLetters);
        long successes = counter(result, "llm.successes");
        long failures = counter(result, "llm.failures");
        assertThat(requests)
                .as("audit records = llm.successes + llm.failures")
                .hasSize((int) (successes + failures));
        assertThat(byOutcome.get("dead_lettered")).as("= llm.failures").isEqualTo((int) failures);
        System.out.printf(
                "audit: %d records %s; llm.successes=%d llm.failures=%d; %d retried%n",
                requests.size(), byOutcome, successes, failures, retried);

        // ---- state: the compacted view holds each key's last state, within the write bound
        JsonSchema stateSchema = schema("state.schema.json");
        Map<String, JsonNode> view = new HashMap<>();
        Map<String, Integer> writes = new HashMap<>();
        List<ConsumerRecord<byte[], byte[]>> changelog = read(kafka, state);
        for (ConsumerRecord<byte[], byte[]> r : changelog) {
            JsonNode v = Json.MAPPER.readTree(r.value());
            assertThat(stateSchema.validate(v)).as("matches docs/state.schema.json").isEmpty();
            String key = new String(r.key(), StandardCharsets.UTF_8);
            assertThat(v.get("key").asText()).isEqualTo(key);
            view.put(key, v); // later records of a key replace earlier ones, as compaction does
            writes.merge(key, 1, Integer::sum);
        }
        assertThat(changelog.size()).isEqualTo((int) counter(result, "reflex.stateRecords"));
        JsonNode b = view.get("BURST");
        assertThat(b.at("/detector/events_seen").asLong()).isEqualTo(BURST_TRADES);
        assertThat(b.at("/detector/last_event_id").asText()).isEqualTo("b" + (BURST_TRADES - 1));
        assertThat(b.at("/detector/rules/price-move/last").asDouble()).isEqualTo(lastPrice);
        long intervals = ranMs / STATE_INTERVAL.toMillis() + 1;
        assertThat(writes.get("BURST"))
                .as(BURST_TRADES + " events in " + ranMs + " ms: at most one write per interval")
                .isLessThanOrEqualTo((int) intervals)
                .isLessThan(BURST_TRADES / 10);
        for (int i = 0; i < NEWS_KEYS; i++) {
            String key = "N" + i;
            JsonNode v = view.get(key);
            assertThat(v.at("/detector/rules/alarming-news/count").asLong()).isEqualTo(1);
            assertThat(v.at("/detector/last_trigger/rule").asText()).isEqualTo("alarming-news");
            if (lastDecisionByKey.containsKey(key)) {
                assertThat(v.at("/decision/request_id").asText())
                        .as(key + "'s last decision")
                        .isEqualTo(lastDecisionByKey.get(key));
                assertThat(writes.get(key))
                        .as("a decided key: one detector write, one per decision")
                        .isLessThanOrEqualTo(2);
            } else {
                assertThat(v.has("decision")).as(key + " was dead-lettered").isFalse();
            }
        }
        System.out.printf(
                "state: %d records for %d keys; BURST %d writes for %d events in %d ms%n",
                changelog.size(), view.size(), writes.get("BURST"), BURST_TRADES, ranMs);
    }

    private static String stage(ConsumerRecord<byte[], byte[]> r) {
        try {
            return Json.MAPPER.readTree(r.value()).get("stage").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The sum over subtasks of the counter whose name ends with {@code name}. */
    private static long counter(JobExecutionResult result, String name) {
        long sum = 0;
        int found = 0;
        String last = name.substring(name.lastIndexOf('.') + 1);
        for (Map.Entry<String, Metric> e :
                REPORTER.findMetrics(result.getJobID(), last).entrySet()) {
            if (e.getKey().endsWith("." + name) && e.getValue() instanceof Counter c) {
                sum += c.getCount();
                found++;
            }
        }
        assertThat(found).as("subtasks reporting " + name).isEqualTo(2);
        return sum;
    }

    private static JsonSchema schema(String file) throws Exception {
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(Json.MAPPER.readTree(Path.of("../docs", file).toFile()));
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(EmbeddedKafka kafka, String topic) {
        return TopicReader.readAll(kafka.bootstrapServers(), topic, Duration.ofSeconds(60));
    }

    private static JobFile jobFile(
            String s,
            EmbeddedKafka kafka,
            StubLlmServer stub,
            String news,
            String trades,
            Map<String, String> topicOf,
            String dlq,
            String audit,
            String state)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job: {name: outputs-" + s + ", checkpoint-interval: 500ms}",
                        "sources:",
                        "  - {name: news, bootstrap-servers: '${BOOTSTRAP}', topics: ["
                                + news
                                + "], starting-offsets: earliest, bounded: true, key: /symbol,"
                                + " event-time: /ts, event-id: /id}",
                        "  - {name: trades, bootstrap-servers: '${BOOTSTRAP}', topics: ["
                                + trades
                                + "], starting-offsets: earliest, bounded: true, key: /symbol,"
                                + " event-time: /ts, event-id: /id}",
                        "rules:",
                        "  - {id: alarming-news, type: match, sources: [news], field: /headline,"
                                + " pattern: fraud}",
                        "  - {id: price-move, type: change-pct, sources: [trades], field: /price,"
                                + " window: 60s, threshold-pct: 50}",
                        "llm:",
                        "  base-url: ${LLM}",
                        "  model: stub-model",
                        "  timeout: 5s",
                        "  max-attempts: 3",
                        "  initial-backoff: 20ms",
                        "  max-backoff: 100ms",
                        "  circuit-breaker: {failures: 1000}",
                        "actions:",
                        "  - {type: alert, topic: " + topicOf.get("alert") + "}",
                        "  - {type: watch, topic: " + topicOf.get("watch") + "}",
                        "  - {type: escalate, topic: " + topicOf.get("escalate") + "}",
                        "sinks:",
                        "  bootstrap-servers: ${BOOTSTRAP}",
                        "  actions-topic: actions-" + s,
                        "  dead-letter-topic: " + dlq,
                        "  audit-topic: " + audit,
                        "  state-topic: " + state,
                        "  state-interval: " + STATE_INTERVAL.toMillis() + "ms",
                        "");
        return JobFiles.parse("outputs.yaml", yaml, kafka, stub);
    }
}
