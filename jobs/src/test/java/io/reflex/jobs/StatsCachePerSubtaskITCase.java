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
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tests that {@code detector.cache-bytes} bounds each subtask's statistics cache, as documented: at
 * parallelism 2 in one TaskManager (one JVM), each subtask's cache stays within the bound while far
 * more keys than fit pass through it, and no trigger is lost to its evictions.
 */
class StatsCachePerSubtaskITCase {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            MiniClusters.twoSlots(REPORTER.addToConfiguration(new Configuration()));

    /** Room for about twenty keys' statistics per subtask. */
    private static final long CACHE_BYTES = 16 * 1024;

    private static final int KEYS = 2_000;
    private static final int TRADES_PER_KEY = 3;

    @Test
    void eachSubtasksCacheStaysWithinItsBoundAndLosesNoTrigger() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        String trades = "cache-trades-" + s;
        String actions = "cache-actions-" + s;
        kafka.createTopics(2, trades, actions, "cache-dlq-" + s);
        List<String> records = new ArrayList<>();
        int halts = 0;
        for (int t = 0; t < TRADES_PER_KEY; t++) {
            for (int k = 0; k < KEYS; k++) {
                boolean halt = t == TRADES_PER_KEY - 1 && k % 50 == 0;
                halts += halt ? 1 : 0;
                String trade = MarketEvents.trade("t" + t + "-" + k, "K" + k, 1_000 + t, 100 + t);
                records.add(
                        trade.substring(0, trade.length() - 1)
                                + ",\"note\":\""
                                + (halt ? "halt" : "ok")
                                + "\"}");
            }
        }
        MarketEvents.produce(kafka.bootstrapServers(), trades, records);

        try (StubLlmServer stub = StubLlmServer.start(0, StubLlmServer.Settings.healthy(), 3)) {
            JobFile job = jobFile(s, kafka, trades, actions, stub);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(
                            ReflexJob.configuration(job));
            ReflexJob.build(env, job, 2);
            JobExecutionResult result = env.execute(job.name());

            Map<String, Metric> peaks =
                    REPORTER.findMetrics(result.getJobID(), "statsCachePeakBytes");
            Map<String, Metric> writeBacks =
                    REPORTER.findMetrics(result.getJobID(), "statsCacheWriteBacks");
            assertThat(peaks).as("one cache per subtask").hasSize(2);
            for (Map.Entry<String, Metric> e : peaks.entrySet()) {
                long peak = value(e.getValue());
                System.out.println(e.getKey() + " = " + peak + " (bound " + CACHE_BYTES + ")");
                assertThat(peak).as(e.getKey()).isLessThanOrEqualTo(CACHE_BYTES);
                assertThat(peak)
                        .as("the cache was used: " + e.getKey())
                        .isGreaterThan(CACHE_BYTES / 2);
            }
            for (Map.Entry<String, Metric> e : writeBacks.entrySet()) {
                assertThat(value(e.getValue()))
                        .as("evictions wrote back far more keys than fit: " + e.getKey())
                        .isGreaterThan(KEYS / 4);
            }
        }
        assertThat(TopicReader.readAll(kafka.bootstrapServers(), actions, Duration.ofSeconds(60)))
                .as("one action per halt, though most keys were evicted between their trades")
                .hasSize(halts);
    }

    private static long value(Metric m) {
        return ((Number) ((Gauge<?>) m).getValue()).longValue();
    }

    private static JobFile jobFile(
            String s, EmbeddedKafka kafka, String trades, String actions, StubLlmServer stub)
            throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job: {name: cache-" + s + ", checkpoint-interval: 500ms}",
                        "sources:",
                        "  - name: trades",
                        "    bootstrap-servers: ${BOOTSTRAP}",
                        "    topics: [" + trades + "]",
                        "    starting-offsets: earliest",
                        "    bounded: true",
                        "    key: /symbol",
                        "    event-time: /ts",
                        "    event-id: /id",
                        "rules:",
                        "  - {id: move, type: change-pct, field: /price, window: 60s,"
                                + " threshold-pct: 50}",
                        "  - {id: halt, type: match, field: /note, pattern: '^halt$'}",
                        "detector:",
                        "  cache-bytes: " + CACHE_BYTES,
                        "llm:",
                        "  base-url: ${LLM}",
                        "  model: stub-model",
                        "  timeout: 10s",
                        "actions:",
                        "  - type: alert",
                        "sinks:",
                        "  bootstrap-servers: ${BOOTSTRAP}",
                        "  actions-topic: " + actions,
                        "  dead-letter-topic: cache-dlq-" + s,
                        "");
        return JobFiles.parse("cache.yaml", yaml, kafka, stub);
    }
}
