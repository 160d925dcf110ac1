package io.reflex.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.FeedServer;
import io.reflex.sandbox.JobHealth;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tests for the job reading news from a WebSocket feed: triggers become committed actions, and
 * malformed messages go to the dead-letter topic with the feed URL and sequence.
 */
class WebSocketNewsITCase {

    @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = MiniClusters.twoSlots();

    @Test
    void newsFromTheFeedBecomesActionsAndMalformedMessagesAreDeadLettered() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        String actions = "actions-ws-" + s;
        String dlq = "dlq-ws-" + s;
        kafka.createTopics(2, "unused-" + s, actions, dlq);
        try (FeedServer feed =
                        FeedServer.start(new FeedServer.Settings(100, 0, null, 10, true), 9);
                StubLlmServer stub = StubLlmServer.start()) {
            String yaml =
                    String.join(
                            "\n",
                            "job: {name: ws-" + s + ", checkpoint-interval: 300ms}",
                            "sources:",
                            "  - name: news",
                            "    type: websocket",
                            "    urls: ['" + feed.url() + "']",
                            "    sequence: /seq",
                            "    resume-url: '" + feed.url() + "?since={lastSeq}'",
                            "    key: /symbol",
                            "    event-time: /ts",
                            "    event-id: /id",
                            "rules:",
                            "  - {id: alarming-news, type: match, field: /headline,"
                                    + " pattern: '(?i)fraud|halts|investigation|recall|bankruptcy',"
                                    + " cooldown: 2s}",
                            "llm: {base-url: '" + stub.baseUrl() + "', model: stub-model}",
                            "actions:",
                            "  - type: alert",
                            "sinks: {bootstrap-servers: '"
                                    + kafka.bootstrapServers()
                                    + "',"
                                    + " actions-topic: "
                                    + actions
                                    + ", dead-letter-topic: "
                                    + dlq
                                    + "}",
                            "");
            JobFile job = new JobFileParser(Map.of()).parse("ws.yaml", yaml);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(
                            ReflexJob.configuration(job));
            ReflexJob.build(env, job, 2);
            JobClient client = env.executeAsync(job.name());
            List<ConsumerRecord<byte[], byte[]>> dead =
                    TopicReader.awaitAtLeast(
                            kafka.bootstrapServers(), dlq, 5, Duration.ofSeconds(60));
            List<ConsumerRecord<byte[], byte[]>> acted =
                    TopicReader.awaitAtLeast(
                            kafka.bootstrapServers(), actions, 3, Duration.ofSeconds(60));
            client.cancel().get();

            for (ConsumerRecord<byte[], byte[]> r : dead) {
                JsonNode d = Json.MAPPER.readTree(r.value());
                assertThat(d.get("stage").asText()).isEqualTo("decode");
                assertThat(d.get("reason").asText()).startsWith("not JSON");
                assertThat(d.get("source").asText()).isEqualTo(feed.url());
                assertThat(d.get("offset").asLong())
                        .as("no sequence in a malformed message")
                        .isEqualTo(-1);
            }
            for (ConsumerRecord<byte[], byte[]> r : acted) {
                JsonNode a = Json.MAPPER.readTree(r.value());
                assertThat(a.at("/trigger/rule").asText()).isEqualTo("alarming-news");
            }
        }
    }

    @Test
    void hostileFramesBecomeDeadLettersAndTheJobNeverRestarts(
            @InjectClusterClient ClusterClient<?> cluster) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        String actions = "actions-wsh-" + s;
        String dlq = "dlq-wsh-" + s;
        kafka.createTopics(1, actions, dlq);
        try (FeedServer feed = FeedServer.start(new FeedServer.Settings(100, 0, null, 0, true), 4);
                StubLlmServer stub = StubLlmServer.start()) {
            feed.inject(5, FeedServer.Frame.BINARY, new byte[] {(byte) 0xFF, 0, (byte) 0xFE});
            feed.inject(
                    10,
                    FeedServer.Frame.TEXT,
                    ("{\"seq\":10,\"pad\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}")
                            .getBytes(StandardCharsets.UTF_8));
            feed.inject(
                    15,
                    FeedServer.Frame.RAW_TEXT,
                    new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
            String yaml =
                    String.join(
                            "\n",
                            "job: {name: wsh-" + s + ", checkpoint-interval: 300ms}",
                            "sources:",
                            "  - name: news",
                            "    type: websocket",
                            "    urls: ['" + feed.url() + "']",
                            "    sequence: /seq",
                            "    resume-url: '" + feed.url() + "?since={lastSeq}'",
                            "    reconnect: {initial-backoff: 50ms, max-backoff: 200ms}",
                            "    key: /symbol",
                            "    event-time: /ts",
                            "    event-id: /id",
                            "rules:",
                            "  - {id: alarming-news, type: match, field: /headline, pattern: zzz}",
                            "llm: {base-url: '" + stub.baseUrl() + "', model: stub-model}",
                            "actions:",
                            "  - type: alert",
                            "sinks: {bootstrap-servers: '"
                                    + kafka.bootstrapServers()
                                    + "', actions-topic: "
                                    + actions
                                    + ", dead-letter-topic: "
                                    + dlq
                                    + "}",
                            "");
            JobFile job = new JobFileParser(Map.of()).parse("ws.yaml", yaml);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(
                            ReflexJob.configuration(job));
            ReflexJob.build(env, job, 1);
            JobClient client = env.executeAsync(job.name());
            List<ConsumerRecord<byte[], byte[]>> dead =
                    TopicReader.awaitAtLeast(
                            kafka.bootstrapServers(), dlq, 3, Duration.ofSeconds(60));
            long restarts =
                    JobHealth.numRestarts(
                            cluster.getWebInterfaceURL(), client.getJobID().toHexString());
            List<JsonNode> failures =
                    JobHealth.exceptions(
                            cluster.getWebInterfaceURL(), client.getJobID().toHexString());
            client.cancel().get();

            List<String> reasons = new java.util.ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                JsonNode d = Json.MAPPER.readTree(r.value());
                assertThat(d.get("source").asText()).isEqualTo(feed.url());
                assertThat(r.serializedValueSize()).isLessThan(200 * 1024);
                reasons.add(d.get("reason").asText());
            }
            System.out.println(
                    "hostile frames and their dead letters:\n  " + String.join("\n  ", reasons));
            assertThat(reasons).hasSize(3);
            assertThat(reasons.get(0)).as("binary frame").isEqualTo("invalid UTF-8");
            assertThat(reasons.get(1))
                    .as("oversized frame")
                    .startsWith("message of 20971")
                    .endsWith("bytes exceeds the limit of 1048576 (max-message-bytes)");
            assertThat(reasons.get(2))
                    .as("invalid UTF-8 in a text frame")
                    .endsWith("after sequence 14, twice in a row; skipped sequence 15");
            assertThat(restarts).as("numRestarts").isZero();
            assertThat(failures).as("the job's exception history").isEmpty();
        }
    }
}
