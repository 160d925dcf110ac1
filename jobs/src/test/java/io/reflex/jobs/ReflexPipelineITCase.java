package io.reflex.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.reflex.jobs.config.JobFile;
import io.reflex.operators.model.ActionJson;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.Await;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tests for {@link ReflexJob}: the whole pipeline on a MiniCluster, reading from and writing to a
 * real Kafka broker, deciding through the OpenAI SDK against the stub LLM over HTTP.
 */
class ReflexPipelineITCase {

    @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = MiniClusters.twoSlots();

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.shared();
    }

    @Test
    void everyTriggerBecomesActionsExactlyOnceAndBadRecordsAreDeadLettered() throws Exception {
        Topics t = Topics.create("e2e");
        try (StubLlmServer stub = StubLlmServer.start()) {
            try (Producer<byte[], byte[]> p = producer()) {
                // change-pct: 100 -> 100.5 -> 110 within 60s fires once, on t3
                send(p, t.trades, "{\"id\":\"t1\",\"symbol\":\"TRDS\",\"price\":100,\"ts\":1000}");
                send(
                        p,
                        t.trades,
                        "{\"id\":\"t2\",\"symbol\":\"TRDS\",\"price\":100.5,\"ts\":2000}");
                send(p, t.trades, "{\"id\":\"t3\",\"symbol\":\"TRDS\",\"price\":110,\"ts\":3000}");
                // match: three alarming headlines, two calm ones, and one replayed id
                send(p, t.news, news("n1", "ACME", "ACME halts trading amid fraud probe", 1500));
                send(p, t.news, news("n2", "GLOBX", "GLOBX issues recall of flagship", 1600));
                send(
                        p,
                        t.news,
                        news("n3", "INIT", "Regulators open investigation into INIT", 1700));
                send(p, t.news, news("n4", "INIT", "INIT opens new office", 1800));
                send(p, t.news, news("n5", "UMBR", "UMBR announces dividend", 1900));
                send(p, t.news, news("n1", "ACME", "ACME halts trading amid fraud probe", 1500));
                // malformed records, each with its own reason
                send(p, t.trades, "this is not json");
                send(p, t.trades, new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
                send(p, t.trades, "{\"id\":\"b3\",\"price\":1,\"ts\":1}");
                send(p, t.trades, "{\"id\":\"b4\",\"symbol\":{\"a\":1},\"price\":1,\"ts\":1}");
                send(p, t.trades, "{\"id\":\"b5\",\"symbol\":\"ACME\",\"ts\":\"yesterday\"}");
                send(p, t.trades, "[1,2,3]");
                send(
                        p,
                        t.trades,
                        "{\"id\":\"b7\",\"symbol\":\"ACME\",\"ts\":5,\"pad\":\""
                                + "x".repeat(600)
                                + "\"}");
                p.flush();
            }

            run(jobFile(t, stub, 3));

            List<ConsumerRecord<byte[], byte[]>> actions = read(t.actions);
            JsonSchema documented =
                    JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                            .getSchema(
                                    Json.MAPPER.readTree(
                                            Path.of("../docs/action.schema.json").toFile()));
            Set<String> actionIds = new HashSet<>();
            Set<String> triggeredBy = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : actions) {
                JsonNode a = Json.MAPPER.readTree(r.value());
                assertThat(documented.validate(a)).as("matches docs/action.schema.json").isEmpty();
                assertThat(actionIds.add(a.get("action_id").asText()))
                        .as("action ids are unique")
                        .isTrue();
                assertThat(a.get("type").asText()).isIn("alert", "watch");
                assertThat(new String(r.key(), StandardCharsets.UTF_8))
                        .isEqualTo(a.get("key").asText());
                assertThat(header(r, ActionJson.HEADER_ACTION_ID))
                        .isEqualTo(a.get("action_id").asText());
                assertThat(header(r, ActionJson.HEADER_SCHEMA_VERSION)).isEqualTo("1");
                assertThat(a.at("/llm/attempts").asInt()).isEqualTo(1);
                a.at("/trigger/event_ids").forEach(id -> triggeredBy.add(id.asText()));
            }
            // The stub answers one action per request: one action per trigger.
            assertThat(triggeredBy).containsExactlyInAnyOrder("t3", "n1", "n2", "n3");
            assertThat(actions).hasSize(4);
            assertThat(stub.requests()).isEqualTo(4);

            List<String> reasons = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : read(t.dlq)) {
                JsonNode d = Json.MAPPER.readTree(r.value());
                assertThat(d.get("stage").asText()).isEqualTo("decode");
                assertThat(d.get("source").asText()).isEqualTo(t.trades);
                assertThat(d.get("offset").asLong()).isGreaterThanOrEqualTo(0);
                assertThat(d.get("raw_base64").asText()).isNotEmpty();
                reasons.add(d.get("reason").asText());
            }
            assertThat(reasons).hasSize(7);
            assertThat(reasons).anyMatch(s -> s.startsWith("not JSON"));
            assertThat(reasons).anyMatch(s -> s.equals("invalid UTF-8"));
            assertThat(reasons).anyMatch(s -> s.equals("missing key at /symbol"));
            assertThat(reasons).anyMatch(s -> s.startsWith("key at /symbol is a object"));
            assertThat(reasons).anyMatch(s -> s.startsWith("event time at /ts is not an ISO"));
            assertThat(reasons).anyMatch(s -> s.equals("not a JSON object"));
            assertThat(reasons).anyMatch(s -> s.contains("exceeds the limit of 512"));
        }
    }

    @Test
    void inTheAgentEveryTriggerEndsOnceDespiteEveryKindOfFault() throws Exception {
        StubLlmServer.Settings faults =
                StubLlmServer.Settings.healthy()
                        .withFaults(0.08, 0.08, 0.04, 0.05, 0.05)
                        .withHangMs(3_000);
        faults("agent", faults, "  timeout: 2s\n  circuit-breaker: {failures: 1000}");
    }

    @Test
    void inTheStatelessFunctionEveryTriggerEndsOnceDespiteRateLimitsAndServerErrors()
            throws Exception {
        faults("stateless", StubLlmServer.Settings.healthy().withFaults(0.10, 0.10, 0, 0, 0), "");
    }

    /**
     * Every trigger ends exactly once as actions or a dead letter, attempts stay within the
     * maximum, and the stub's counts add up: each failed or invalid answer led to one more request,
     * except the last answer of each dead letter.
     */
    private void faults(String operator, StubLlmServer.Settings faults, String extraLlm)
            throws Exception {
        Topics t = Topics.create("faults-" + operator);
        int triggers = 60;
        int maxAttempts = 4;
        try (StubLlmServer stub = StubLlmServer.start(0, faults, 7)) {
            Set<String> expected = new HashSet<>();
            try (Producer<byte[], byte[]> p = producer()) {
                for (int i = 0; i < triggers; i++) {
                    String id = "f" + i;
                    expected.add(id);
                    send(p, t.news, news(id, "SYM" + i, "SYM" + i + " fraud probe", 1000 + i));
                }
                p.flush();
            }

            run(jobFile(t, stub, maxAttempts, operator, extraLlm));

            Map<String, Integer> endings = new java.util.HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : read(t.actions)) {
                JsonNode a = Json.MAPPER.readTree(r.value());
                assertThat(a.at("/llm/attempts").asInt()).isBetween(1, maxAttempts);
                endings.merge(a.at("/trigger/event_ids/0").asText(), 1, Integer::sum);
            }
            List<ConsumerRecord<byte[], byte[]>> deadLetters = read(t.dlq);
            for (ConsumerRecord<byte[], byte[]> r : deadLetters) {
                JsonNode d = Json.MAPPER.readTree(r.value());
                assertThat(d.get("stage").asText()).isEqualTo("llm");
                assertThat(d.get("reason").asText())
                        .matches(
                                "after [1-"
                                        + maxAttempts
                                        + "] attempt\\(s\\): .*"
                                        + "|invalid answer.*");
                JsonNode trigger =
                        Json.MAPPER.readTree(
                                java.util.Base64.getDecoder().decode(d.get("raw_base64").asText()));
                endings.merge(trigger.at("/eventIds/0").asText(), 1, Integer::sum);
            }
            assertThat(endings.keySet()).isEqualTo(expected);
            assertThat(endings.values()).as("each trigger ends exactly once").containsOnly(1);

            Await.until(
                    "the stub's last requests to end",
                    Duration.ofSeconds(30),
                    () -> stub.inFlight() == 0);
            long failedOrInvalid =
                    stub.count(StubLlmServer.Outcome.RATE_LIMITED)
                            + stub.count(StubLlmServer.Outcome.SERVER_ERROR)
                            + stub.count(StubLlmServer.Outcome.HUNG)
                            + stub.count(StubLlmServer.Outcome.MALFORMED)
                            + stub.count(StubLlmServer.Outcome.SCHEMA_VIOLATION);
            assertThat(failedOrInvalid).as("faults were injected").isGreaterThan(0);
            assertThat(stub.requests())
                    .as(
                            "one more request per failed or invalid answer, but the last of each"
                                    + " dead letter")
                    .isEqualTo(triggers + failedOrInvalid - deadLetters.size());
        }
    }

    @Test
    void aStubOutageOpensTheBreakerAndEverythingDrainsAfterwards() throws Exception {
        Topics t = Topics.create("outage");
        int triggers = 30;
        StubLlmServer.Settings down = StubLlmServer.Settings.healthy().withFaults(0, 1, 0, 0, 0);
        try (StubLlmServer stub = StubLlmServer.start(0, down, 7)) {
            try (Producer<byte[], byte[]> p = producer()) {
                for (int i = 0; i < triggers; i++) {
                    send(p, t.news, news("o" + i, "OUT" + i, "OUT" + i + " fraud", 1000 + i));
                }
                p.flush();
            }
            // The outage is the scenario under test: the stub comes back after 20 seconds.
            var recovery = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            recovery.schedule(
                    () -> stub.setSettings(StubLlmServer.Settings.healthy()),
                    20,
                    java.util.concurrent.TimeUnit.SECONDS);
            try {
                run(jobFile(t, stub, 3, "agent", "  circuit-breaker: {failures: 3, cooldown: 2s}"));
            } finally {
                recovery.shutdownNow();
            }
            assertThat(read(t.dlq))
                    .as("nothing failed")
                    .extracting(r -> Json.MAPPER.readTree(r.value()).get("reason").asText())
                    .isEmpty();
            assertThat(read(t.actions)).hasSize(triggers);
            long failures = stub.count(StubLlmServer.Outcome.SERVER_ERROR);
            // Without the breaker: 30 triggers x 3 attempts = 90 failures, then 30 dead
            // letters. With it: a few failures to open it, then about one probe per cool-down
            // per subtask.
            assertThat(failures).isGreaterThanOrEqualTo(3).isLessThan(60);
            System.out.println(
                    "outage: "
                            + failures
                            + " failed calls in 20 s for "
                            + triggers
                            + " triggers; "
                            + stub.requests()
                            + " calls in all");
        }
    }

    @Test
    void aBurstOnFewKeysIsCoalescedIntoFewerCallsAndNoTriggerIsLost() throws Exception {
        Topics t = Topics.create("burst");
        int triggers = 120;
        Set<String> ids = new HashSet<>();
        try (StubLlmServer stub =
                StubLlmServer.start(0, StubLlmServer.Settings.healthy().withLatency(200, 0), 7)) {
            try (Producer<byte[], byte[]> p = producer()) {
                for (int i = 0; i < triggers; i++) {
                    String key = "BURST" + (i % 4);
                    ids.add("b" + i);
                    send(p, t.news, news("b" + i, key, key + " fraud", 1000 + i));
                }
                p.flush();
            }
            run(jobFile(t, stub, 3, "agent", "  max-backlog: 200"));
            Set<String> decided = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : read(t.actions)) {
                Json.MAPPER
                        .readTree(r.value())
                        .at("/trigger/event_ids")
                        .forEach(id -> decided.add(id.asText()));
            }
            assertThat(decided).as("every trigger is in some decision").isEqualTo(ids);
            assertThat(read(t.dlq)).isEmpty();
            // Each key's 30 triggers are in Kafka before the job starts and reach the agent within
            // one 200 ms answer: its first trigger is one call, the 29 that arrive meanwhile are
            // the next. Allow one more round per key for a slow start: at most 3 calls per key,
            // 0.1 per trigger (8 in every run so far).
            assertThat(stub.requests())
                    .as("calls for 120 triggers on 4 keys")
                    .isLessThanOrEqualTo(12);
            System.out.printf(
                    "burst: %d triggers on 4 keys -> %d LLM calls (%.3f per trigger)"
                            + " with coalescing; one per trigger without%n",
                    triggers, stub.requests(), stub.requests() / (double) triggers);
        }
    }

    @Test
    void toolCallsRoundTripOverHttp() throws Exception {
        Topics t = Topics.create("tools");
        try (StubLlmServer stub =
                StubLlmServer.start(0, StubLlmServer.Settings.healthy().withToolCalls(1.0), 7)) {
            try (Producer<byte[], byte[]> p = producer()) {
                for (int i = 0; i < 3; i++) {
                    send(p, t.news, news("k" + i, "TOOL" + i, "TOOL" + i + " recall", 1000 + i));
                }
                p.flush();
            }
            run(jobFile(t, stub, 3));
            assertThat(read(t.actions)).hasSize(3);
            assertThat(stub.count(StubLlmServer.Outcome.TOOL_CALL)).isEqualTo(3);
            assertThat(stub.count(StubLlmServer.Outcome.OK)).isEqualTo(3);
        }
    }

    private static void run(JobFile job) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(ReflexJob.configuration(job));
        ReflexJob.build(env, job, 2);
        env.execute(job.name());
    }

    private static JobFile jobFile(Topics t, StubLlmServer stub, int maxAttempts) throws Exception {
        return jobFile(t, stub, maxAttempts, "agent", "  circuit-breaker: {failures: 1000}");
    }

    private static JobFile jobFile(
            Topics t, StubLlmServer stub, int maxAttempts, String operator, String extraLlm)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job:",
                        "  name: it-" + t.suffix,
                        "  checkpoint-interval: 500ms",
                        "sources:",
                        "  - name: trades",
                        "    bootstrap-servers: ${BOOTSTRAP}",
                        "    topics: [" + t.trades + "]",
                        "    starting-offsets: earliest",
                        "    bounded: true",
                        "    key: /symbol",
                        "    event-time: /ts",
                        "    event-id: /id",
                        "    max-record-bytes: 512",
                        "  - name: news",
                        "    bootstrap-servers: ${BOOTSTRAP}",
                        "    topics: [" + t.news + "]",
                        "    starting-offsets: earliest",
                        "    bounded: true",
                        "    key: /symbol",
                        "    event-time: /ts",
                        "    event-id: /id",
                        "rules:",
                        "  - id: price-move",
                        "    type: change-pct",
                        "    sources: [trades]",
                        "    field: /price",
                        "    window: 60s",
                        "    threshold-pct: 5",
                        "    cooldown: 60s",
                        "  - id: alarming-news",
                        "    type: match",
                        "    sources: [news]",
                        "    field: /headline",
                        "    pattern: '(?i)fraud|recall|investigation'",
                        "llm:",
                        "  base-url: ${LLM}",
                        "  model: stub-model",
                        "  timeout: 5s",
                        "  max-attempts: " + maxAttempts,
                        "  initial-backoff: 20ms",
                        "  max-backoff: 100ms",
                        "  max-concurrent: 16",
                        "  operator: " + operator,
                        extraLlm,
                        "actions:",
                        "  - type: alert",
                        "    description: Page someone.",
                        "    params:",
                        "      type: object",
                        "      properties:",
                        "        severity: {type: string, enum: [low, medium, high]}",
                        "      required: [severity]",
                        "      additionalProperties: false",
                        "sinks:",
                        "  bootstrap-servers: ${BOOTSTRAP}",
                        "  actions-topic: " + t.actions,
                        "  dead-letter-topic: " + t.dlq,
                        "  delivery: exactly-once",
                        "");
        return JobFiles.parse("it.yaml", yaml, kafka, stub);
    }

    private record Topics(String suffix, String trades, String news, String actions, String dlq) {
        static Topics create(String name) throws Exception {
            String s = name + "-" + UUID.randomUUID().toString().substring(0, 8);
            Topics t = new Topics(s, "trades-" + s, "news-" + s, "actions-" + s, "dlq-" + s);
            kafka.createTopics(2, t.trades, t.news, t.actions, t.dlq);
            return t;
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String topic) {
        return TopicReader.readAll(kafka.bootstrapServers(), topic, Duration.ofSeconds(60));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static Producer<byte[], byte[]> producer() {
        return new KafkaProducer<>(
                io.reflex.sandbox.FeedGenerator.producerProperties(kafka.bootstrapServers()));
    }

    private static String news(String id, String symbol, String headline, long ts) {
        return "{\"id\":\""
                + id
                + "\",\"symbol\":\""
                + symbol
                + "\",\"headline\":\""
                + headline
                + "\",\"ts\":"
                + ts
                + "}";
    }

    private static void send(Producer<byte[], byte[]> p, String topic, String json) {
        send(p, topic, json.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one record and waits for it, so that input the broker refused fails the test here. */
    private static void send(Producer<byte[], byte[]> p, String topic, byte[] value) {
        try {
            p.send(new ProducerRecord<>(topic, null, value)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not write the test input to " + topic, e);
        }
    }
}
