package io.reflex.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.jobs.config.JobFile;
import io.reflex.operators.model.DeadLetterJson;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.FeedGenerator;
import io.reflex.sandbox.JobHealth;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tests that nothing a Kafka source can deliver stops the job: each hostile record, written one by
 * one to a real broker, ends as an event or as a dead letter with its reason, and the job never
 * restarts.
 */
class HostileInputITCase {

    @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = MiniClusters.twoSlots();

    private static final int MB = 1024 * 1024;
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.shared();
    }

    /** What should become of one hostile record. */
    private record Expected(String what, String reasonPrefix) {
        boolean isEvent() {
            return reasonPrefix == null;
        }
    }

    @Test
    void everyHostileRecordEndsAsAnEventOrADeadLetter(@InjectClusterClient ClusterClient<?> client)
            throws Exception {
        String s = UUID.randomUUID().toString().substring(0, 8);
        String trades = "hostile-trades-" + s;
        String big = "hostile-big-" + s;
        String actions = "hostile-actions-" + s;
        String dlq = "hostile-dlq-" + s;
        kafka.createTopics(1, trades, dlq);
        kafka.createTopic(big, 1, Map.of("max.message.bytes", Integer.toString(6 * MB)));
        // A broker that refuses old timestamps on the actions topic: the triggers below happen
        // in 1970, and the action must still be written.
        kafka.createTopic(actions, 1, Map.of("message.timestamp.before.max.ms", "3600000"));
        long now = System.currentTimeMillis();

        Map<String, Expected> byCoordinates = new LinkedHashMap<>();
        Map<String, byte[]> sent = new HashMap<>();
        Properties props = FeedGenerator.producerProperties(kafka.bootstrapServers());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(6 * MB));
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props)) {
            Sender send =
                    (topic, key, value, expected) -> {
                        RecordMetadata m =
                                p.send(new ProducerRecord<>(topic, key, value))
                                        .get(60, TimeUnit.SECONDS);
                        String c = topic + "/" + m.partition() + "/" + m.offset();
                        byCoordinates.put(c, expected);
                        sent.put(c, value);
                    };
            send.send(
                    big,
                    null,
                    trade("big5", "BIG", 1000, "x".repeat(5 * MB)),
                    new Expected("5 MB record", "record of 5242"));
            send.send(
                    trades,
                    null,
                    trade("big900", "BIG", 1000, "x".repeat(900 * 1024)),
                    new Expected("900 KB record", "record of 921"));
            send.send(
                    trades,
                    null,
                    utf8("[".repeat(100_000)),
                    new Expected("100,000 nested [", "not JSON: Document nesting depth"));
            send.send(
                    trades,
                    null,
                    new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'},
                    new Expected("invalid UTF-8", "invalid UTF-8"));
            send.send(trades, utf8("TOMB"), null, new Expected("tombstone", "empty record"));
            send.send(trades, null, new byte[0], new Expected("empty record", "empty record"));
            send.send(
                    trades,
                    null,
                    news("nullkey", "NULLKEY", 2000),
                    new Expected("valid record with a null key", null));
            send.send(
                    trades,
                    utf8("k".repeat(100 * 1024)),
                    news("bigreckey", "BIGRECKEY", 2000),
                    new Expected("valid record with a 100 KB record key", null));
            send.send(
                    trades,
                    null,
                    utf8(
                            "{\"id\":\"inf\",\"symbol\":\"INF\",\"ts\":2000,\"price\":1e400,"
                                    + "\"headline\":\"HOSTILE event\"}"),
                    new Expected("1e400", null));
            send.send(
                    trades,
                    null,
                    utf8("{\"id\":\"nan\",\"symbol\":\"NAN\",\"ts\":2000,\"price\":NaN}"),
                    new Expected("NaN", "not JSON: Non-standard token 'NaN'"));
            send.send(
                    trades,
                    null,
                    utf8("{\"id\":\"dup\",\"symbol\":\"A\",\"symbol\":\"B\",\"ts\":2000}"),
                    new Expected("duplicate keys", "not JSON: Duplicate field 'symbol'"));
            send.send(
                    trades,
                    null,
                    news("bigkey", "K".repeat(100 * 1024), 2000),
                    new Expected("100 KB entity key", "key at /symbol of 102400 bytes exceeds"));
            send.send(
                    trades,
                    null,
                    utf8("{\"id\":\"y9999\",\"symbol\":\"Y\",\"ts\":\"9999-12-31T23:59:59Z\"}"),
                    new Expected("year 9999", "event time 9999-12-31T23:59:59Z is more than"));
            send.send(
                    trades,
                    null,
                    utf8("{\"id\":\"y1969\",\"symbol\":\"Y\",\"ts\":\"1969-07-20T20:17:00Z\"}"),
                    new Expected("before 1970", "negative event time at /ts"));
            send.send(
                    trades,
                    null,
                    utf8("{\"id\":\"neg\",\"symbol\":\"Y\",\"ts\":-1}"),
                    new Expected("negative epoch", "negative event time at /ts"));
            // Good trades after all of it: the pipeline still decides.
            send.send(trades, null, trade("g1", "GOOD", 3000, ""), new Expected("good", null));
            send.send(trades, null, trade("g2", "GOOD", 4000, ""), new Expected("good", null));
        }
        // g2 moves GOOD by 10%: a trigger on its own key.
        Set<String> firing = Set.of("nullkey", "bigreckey", "inf", "g2");

        try (StubLlmServer stub = StubLlmServer.start()) {
            JobFile job = jobFile(s, List.of(trades, big), actions, dlq, stub);
            RunResult run = run(job, client);
            assertThat(run.status()).isEqualTo(JobStatus.FINISHED);
            assertThat(run.maxRestarts()).as("numRestarts").isZero();
            assertThat(run.exceptions()).as("the job's exception history").isEmpty();
        }

        List<ConsumerRecord<byte[], byte[]>> letters = read(dlq);
        Map<String, String> fates = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : letters) {
            assertThat(r.serializedValueSize()).isLessThan(MB);
            JsonNode d = Json.MAPPER.readTree(r.value());
            String c = d.get("source").asText() + "/" + d.get("partition") + "/" + d.get("offset");
            Expected e = byCoordinates.get(c);
            assertThat(e).as("dead letter %s names a record that was sent", c).isNotNull();
            assertThat(fates.put(c, d.get("reason").asText()))
                    .as("one dead letter for %s", e.what())
                    .isNull();
            assertThat(d.get("stage").asText()).isEqualTo("decode");
            assertThat(d.get("reason").asText()).as(e.what()).startsWith(e.reasonPrefix());
            byte[] raw = sent.get(c) == null ? new byte[0] : sent.get(c);
            byte[] kept = Base64.getDecoder().decode(d.get("raw_base64").asText());
            int max = io.reflex.jobs.config.JobFileOptions.DEAD_LETTER_MAX_BYTES.defaultValue();
            assertThat(kept).isEqualTo(Arrays.copyOf(raw, Math.min(raw.length, max)));
            assertThat(d.get("raw_bytes").asLong()).isEqualTo(raw.length);
            assertThat(d.get("raw_truncated").asBoolean()).isEqualTo(raw.length > max);
            assertThat(d.get("raw_sha256").asText()).isEqualTo(DeadLetterJson.sha256(raw));
        }
        Set<String> eventIds = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : read(actions)) {
            JsonNode a = Json.MAPPER.readTree(r.value());
            a.at("/trigger/event_ids").forEach(id -> eventIds.add(id.asText()));
            assertThat(r.timestamp())
                    .as("an action whose event time the topic refuses gets the producer's clock")
                    .isGreaterThanOrEqualTo(now);
        }
        List<String> report = new ArrayList<>();
        for (Map.Entry<String, Expected> e : byCoordinates.entrySet()) {
            Expected x = e.getValue();
            if (x.isEvent()) {
                assertThat(fates).as(x.what()).doesNotContainKey(e.getKey());
                report.add(x.what() + ": event");
            } else {
                assertThat(fates).as(x.what()).containsKey(e.getKey());
                report.add(x.what() + ": dead letter \"" + fates.get(e.getKey()) + "\"");
            }
        }
        assertThat(eventIds).containsExactlyInAnyOrderElementsOf(firing);
        assertThat(letters)
                .hasSize((int) byCoordinates.values().stream().filter(x -> !x.isEvent()).count());
        System.out.println("hostile records and their fates:\n  " + String.join("\n  ", report));
    }

    @Test
    void actionsTheBrokerWouldRefuseBecomeMinimalDeadLetters(
            @InjectClusterClient ClusterClient<?> client) throws Exception {
        String s = UUID.randomUUID().toString().substring(0, 8);
        String trades = "refused-trades-" + s;
        String actions = "refused-actions-" + s;
        String dlq = "refused-dlq-" + s;
        kafka.createTopics(1, trades, dlq);
        // Smaller than any action: the broker would refuse every one of them.
        kafka.createTopic(actions, 1, Map.of("max.message.bytes", "200"));
        try (KafkaProducer<byte[], byte[]> p =
                new KafkaProducer<>(FeedGenerator.producerProperties(kafka.bootstrapServers()))) {
            for (String key : List.of("R1", "R2", "R3")) {
                p.send(new ProducerRecord<>(trades, null, news("n-" + key, key, 1000)))
                        .get(30, TimeUnit.SECONDS);
            }
        }

        try (StubLlmServer stub = StubLlmServer.start()) {
            RunResult run = run(jobFile(s, List.of(trades), actions, dlq, stub), client);
            assertThat(run.status()).isEqualTo(JobStatus.FINISHED);
            assertThat(run.maxRestarts()).as("numRestarts").isZero();
            assertThat(run.exceptions()).isEmpty();
        }

        assertThat(read(actions)).isEmpty();
        Set<String> keys = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : read(dlq)) {
            JsonNode d = Json.MAPPER.readTree(r.value());
            assertThat(d.get("stage").asText()).isEqualTo("sink");
            assertThat(d.get("source").asText()).isEqualTo(actions);
            assertThat(d.get("reason").asText())
                    .startsWith("the broker would refuse this record for topic " + actions)
                    .contains("exceeds the topic's max.message.bytes of 200");
            assertThat(d.get("raw_bytes").asInt()).isGreaterThan(200);
            assertThat(d.get("raw_base64").asText()).isEmpty();
            assertThat(d.get("raw_sha256").asText()).hasSize(64);
            keys.add(d.get("key").asText());
        }
        assertThat(keys).containsExactlyInAnyOrder("R1", "R2", "R3");
    }

    // ------------------------------------------------------------------ the job

    private record RunResult(JobStatus status, long maxRestarts, List<JsonNode> exceptions) {}

    /** Runs the bounded job to its end, watching its restart count over the REST API. */
    private static RunResult run(JobFile job, ClusterClient<?> client) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(ReflexJob.configuration(job));
        ReflexJob.build(env, job, 2);
        JobClient jobClient = env.executeAsync(job.name());
        JobID id = jobClient.getJobID();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        long maxRestarts = 0;
        JobStatus status = jobClient.getJobStatus().get();
        while (!status.isGloballyTerminalState()) {
            if (System.nanoTime() > deadline) {
                jobClient.cancel().get();
                throw new AssertionError("the job did not finish within 180 s: " + status);
            }
            maxRestarts =
                    Math.max(
                            maxRestarts,
                            JobHealth.numRestarts(client.getWebInterfaceURL(), id.toHexString()));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // poll the job
            status = jobClient.getJobStatus().get();
        }
        return new RunResult(
                status,
                maxRestarts,
                JobHealth.exceptions(client.getWebInterfaceURL(), id.toHexString()));
    }

    private static JobFile jobFile(
            String suffix, List<String> topics, String actions, String dlq, StubLlmServer stub)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job:",
                        "  name: hostile-" + suffix,
                        "  checkpoint-interval: 500ms",
                        "sources:",
                        "  - name: trades",
                        "    bootstrap-servers: ${BOOTSTRAP}",
                        "    topics: [" + String.join(", ", topics) + "]",
                        "    starting-offsets: earliest",
                        "    bounded: true",
                        "    key: /symbol",
                        "    event-time: /ts",
                        "    event-id: /id",
                        "    max-record-bytes: 200000",
                        "rules:",
                        "  - id: price-move",
                        "    type: change-pct",
                        "    field: /price",
                        "    window: 60s",
                        "    threshold-pct: 5",
                        "  - id: hostile-news",
                        "    type: match",
                        "    field: /headline",
                        "    pattern: HOSTILE",
                        "llm:",
                        "  base-url: ${LLM}",
                        "  model: stub-model",
                        "  timeout: 5s",
                        "actions:",
                        "  - type: alert",
                        "    params:",
                        "      type: object",
                        "      properties:",
                        "        severity: {type: string, enum: [low, medium, high]}",
                        "      required: [severity]",
                        "      additionalProperties: false",
                        "sinks:",
                        "  bootstrap-servers: ${BOOTSTRAP}",
                        "  actions-topic: " + actions,
                        "  dead-letter-topic: " + dlq,
                        "");
        return JobFiles.parse("hostile.yaml", yaml, kafka, stub);
    }

    private interface Sender {
        void send(String topic, byte[] key, byte[] value, Expected expected) throws Exception;
    }

    private static byte[] trade(String id, String symbol, long ts, String pad) {
        double price = id.equals("g2") ? 110 : 100;
        return utf8(
                "{\"id\":\""
                        + id
                        + "\",\"symbol\":\""
                        + symbol
                        + "\",\"ts\":"
                        + ts
                        + ",\"price\":"
                        + price
                        + ",\"pad\":\""
                        + pad
                        + "\"}");
    }

    private static byte[] news(String id, String symbol, long ts) {
        return utf8(
                "{\"id\":\""
                        + id
                        + "\",\"symbol\":\""
                        + symbol
                        + "\",\"ts\":"
                        + ts
                        + ",\"headline\":\"HOSTILE headline\"}");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String topic) {
        return TopicReader.readAll(kafka.bootstrapServers(), topic, Duration.ofSeconds(60));
    }
}
