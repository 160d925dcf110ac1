package io.reflex.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.jobs.config.JobFile;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.MarketEvents;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tests that {@code llm.max-concurrent} is per subtask, as documented: at parallelism 2 in one
 * TaskManager (one JVM), the LLM server sees twice that many requests in flight, and never more.
 */
class LlmConcurrencyPerSubtaskITCase {

    @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = MiniClusters.twoSlots();

    private static final int MAX_CONCURRENT = 4;
    private static final int KEYS = 24;

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.shared();
    }

    @Test
    void eachSubtaskKeepsItsOwnMaxConcurrentRequestsInFlight() throws Exception {
        String s = UUID.randomUUID().toString().substring(0, 8);
        String news = "conc-news-" + s;
        String actions = "conc-actions-" + s;
        kafka.createTopics(2, news, actions, "conc-dlq-" + s);
        List<String> records = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            records.add(MarketEvents.news("n" + i, "K" + i, 1000 + i, "K" + i + " fraud probe"));
        }
        MarketEvents.produce(kafka.bootstrapServers(), news, records);

        // Long enough that every request of a wave is in flight at once.
        try (StubLlmServer stub =
                StubLlmServer.start(0, StubLlmServer.Settings.healthy().withLatency(2000, 0), 7)) {
            JobFile job = jobFile(s, news, actions, stub);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(
                            ReflexJob.configuration(job));
            ReflexJob.build(env, job, 2);
            env.execute(job.name());

            assertThat(stub.requests()).isEqualTo(KEYS);
            assertThat(stub.maxInFlight())
                    .as("requests in flight at once, over 2 subtasks in one JVM")
                    .isEqualTo(2 * MAX_CONCURRENT);
            System.out.println(
                    "max in flight at the stub: "
                            + stub.maxInFlight()
                            + " (2 subtasks x max-concurrent "
                            + MAX_CONCURRENT
                            + ")");
        }
        assertThat(TopicReader.readAll(kafka.bootstrapServers(), actions, Duration.ofSeconds(60)))
                .hasSize(KEYS);
    }

    private static JobFile jobFile(String s, String news, String actions, StubLlmServer stub)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job: {name: conc-" + s + ", checkpoint-interval: 500ms}",
                        "sources:",
                        "  - name: news",
                        "    bootstrap-servers: ${BOOTSTRAP}",
                        "    topics: [" + news + "]",
                        "    starting-offsets: earliest",
                        "    bounded: true",
                        "    key: /symbol",
                        "    event-time: /ts",
                        "    event-id: /id",
                        "rules:",
                        "  - {id: alarm, type: match, field: /headline, pattern: fraud}",
                        "llm:",
                        "  base-url: ${LLM}",
                        "  model: stub-model",
                        "  timeout: 10s",
                        "  max-concurrent: " + MAX_CONCURRENT,
                        "actions:",
                        "  - type: alert",
                        "sinks:",
                        "  bootstrap-servers: ${BOOTSTRAP}",
                        "  actions-topic: " + actions,
                        "  dead-letter-topic: conc-dlq-" + s,
                        "");
        return JobFiles.parse("conc.yaml", yaml, kafka, stub);
    }
}
