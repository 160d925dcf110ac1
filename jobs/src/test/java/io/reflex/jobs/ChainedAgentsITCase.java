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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two Reflex jobs chained through Kafka, as in {@code jobs/examples/market-watch.yaml} and {@code
 * jobs/examples/investigate.yaml}: a triage job routes its {@code escalate} actions to a topic of
 * their own, and an investigation job reads that topic as its source, keyed by the same entity,
 * with its own rule, prompt and catalogue. Both hops are exactly-once (transactional sinks, the
 * second job reading read_committed): every escalation gets exactly one downstream decision, and
 * the investigation's prompt carries the triage decision's reason and trigger.
 */
class ChainedAgentsITCase {

    @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = MiniClusters.twoSlots();

    private static final int KEYS = 40;

    @Test
    void eachEscalationGetsExactlyOneDownstreamDecision() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        String news = "news-" + s;
        String escalations = "escalations-" + s;
        String cases = "cases-" + s;
        kafka.createTopics(2, news, escalations, cases, "triage-actions-" + s, "triage-dlq-" + s);
        kafka.createTopics(2, "inv-dlq-" + s, "inv-audit-" + s);
        List<String> records = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            records.add(MarketEvents.news("n" + i, "C" + i, 1_000 + i, "C" + i + " fraud probe"));
        }
        MarketEvents.produce(kafka.bootstrapServers(), news, records);

        try (StubLlmServer stub =
                StubLlmServer.start(0, StubLlmServer.Settings.healthy().withLatency(20, 0), 9)) {
            run(triage(s, kafka, stub, news, escalations));
            List<ConsumerRecord<byte[], byte[]>> escalated = read(kafka, escalations);
            assertThat(escalated).as("the triage escalated some keys").isNotEmpty();
            Map<String, JsonNode> escalationById = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : escalated) {
                JsonNode a = Json.MAPPER.readTree(r.value());
                assertThat(a.get("type").asText()).isEqualTo("escalate");
                assertThat(escalationById.put(a.get("action_id").asText(), a)).isNull();
            }

            long triageRequests = stub.requests();
            run(investigation(s, kafka, stub, escalations, cases));

            // Each escalation: one decision, named by its action id as the event that fired.
            Map<String, Integer> decisions = new HashMap<>();
            JsonSchema auditSchema =
                    JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                            .getSchema(
                                    Json.MAPPER.readTree(
                                            Path.of("../docs/audit.schema.json").toFile()));
            for (ConsumerRecord<byte[], byte[]> r : read(kafka, "inv-audit-" + s)) {
                JsonNode a = Json.MAPPER.readTree(r.value());
                assertThat(auditSchema.validate(a))
                        .as("with its prompt, matches docs/audit.schema.json")
                        .isEmpty();
                assertThat(a.get("outcome").asText()).isIn("actions", "no_action");
                for (JsonNode t : a.get("triggers")) {
                    assertThat(t.get("rule").asText()).isEqualTo("escalated");
                    t.get("event_ids").forEach(id -> decisions.merge(id.asText(), 1, Integer::sum));
                }
                JsonNode escalation = escalationById.get(a.at("/triggers/0/event_ids/0").asText());
                assertThat(escalation).as("decided on an escalation").isNotNull();
                assertThat(a.get("key").asText()).isEqualTo(escalation.get("key").asText());
                // The prompt carries the upstream decision: its reason and its trigger.
                StringBuilder prompt = new StringBuilder();
                a.get("prompt")
                        .forEach(m -> prompt.append(m.path("content").asText()).append('\n'));
                assertThat(prompt.toString())
                        .contains(escalation.get("reason").asText())
                        .contains(escalation.at("/trigger/event_ids/0").asText());
            }
            assertThat(decisions.keySet()).isEqualTo(escalationById.keySet());
            assertThat(decisions.values()).as("exactly one decision each").containsOnly(1);
            assertThat(stub.requests() - triageRequests)
                    .as("one investigation call per escalation")
                    .isEqualTo(escalationById.size());
            for (ConsumerRecord<byte[], byte[]> r : read(kafka, cases)) {
                assertThat(Json.MAPPER.readTree(r.value()).get("type").asText())
                        .isIn("open-case", "close");
            }
            System.out.printf(
                    "chain: %d news -> %d escalations -> %d investigation decisions, %d cases%n",
                    KEYS, escalationById.size(), decisions.size(), read(kafka, cases).size());
        }
    }

    private static void run(JobFile job) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(ReflexJob.configuration(job));
        ReflexJob.build(env, job, 2);
        env.execute(job.name());
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(EmbeddedKafka kafka, String topic) {
        return TopicReader.readAll(kafka.bootstrapServers(), topic, Duration.ofSeconds(60));
    }

    private static final String LLM =
            String.join(
                    "\n",
                    "llm:",
                    "  base-url: ${LLM}",
                    "  model: stub-model",
                    "  timeout: 5s",
                    "  circuit-breaker: {failures: 1000}");

    /** The triage job: alarming news, three action types, escalations on a topic of their own. */
    private static JobFile triage(
            String s, EmbeddedKafka kafka, StubLlmServer stub, String news, String escalations)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job: {name: triage-" + s + ", checkpoint-interval: 500ms}",
                        "sources:",
                        "  - {name: news, bootstrap-servers: '${BOOTSTRAP}', topics: ["
                                + news
                                + "], starting-offsets: earliest, bounded: true, key: /symbol,"
                                + " event-time: /ts, event-id: /id}",
                        "rules:",
                        "  - {id: alarming-news, type: match, field: /headline, pattern: fraud}",
                        LLM,
                        "actions:",
                        "  - type: alert",
                        "  - type: watch",
                        "  - type: escalate",
                        "    description: Hand the symbol to the investigation job.",
                        "    topic: " + escalations,
                        "    params:",
                        "      type: object",
                        "      properties: {urgency: {type: string, enum: [low, high]}}",
                        "      required: [urgency]",
                        "      additionalProperties: false",
                        "sinks:",
                        "  bootstrap-servers: ${BOOTSTRAP}",
                        "  actions-topic: triage-actions-" + s,
                        "  dead-letter-topic: triage-dlq-" + s,
                        "");
        return JobFiles.parse("triage.yaml", yaml, kafka, stub);
    }

    /** The investigation job: the triage's escalations as its source, keyed by the same entity. */
    private static JobFile investigation(
            String s, EmbeddedKafka kafka, StubLlmServer stub, String escalations, String cases)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job: {name: investigate-" + s + ", checkpoint-interval: 500ms}",
                        "sources:",
                        "  - {name: escalations, bootstrap-servers: '${BOOTSTRAP}', topics: ["
                                + escalations
                                + "], starting-offsets: earliest, bounded: true, key: /key,"
                                + " event-time: /trigger/event_time, event-id: /action_id}",
                        "rules:",
                        "  - {id: escalated, type: match, field: /type, pattern: '^escalate$'}",
                        LLM,
                        "actions:",
                        "  - type: open-case",
                        "  - type: close",
                        "sinks:",
                        "  bootstrap-servers: ${BOOTSTRAP}",
                        "  actions-topic: " + cases,
                        "  dead-letter-topic: inv-dlq-" + s,
                        "  audit-topic: inv-audit-" + s,
                        "  audit-include-prompt: true",
                        "");
        return JobFiles.parse("investigate.yaml", yaml, kafka, stub);
    }
}
