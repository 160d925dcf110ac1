package io.reflex.bench;

import io.reflex.jobs.ReflexJob;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.FeedGenerator;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * LLM calls bought again after a TaskManager is lost, with the response journal and without it. The
 * whole job runs on a MiniCluster against the in-process broker and the stub LLM. A checkpoint is
 * taken while every request is in flight (the stub holds the answers); the answers are then let
 * out, and once every one has arrived the TaskManager is terminated and a new one started. The job
 * restarts from that checkpoint, so every request is pending again: without the journal each is
 * sent again, with it each is decided from the journal. The stub counts the calls.
 */
final class FailoverCostBench {
    private static final Duration WAIT = Duration.ofMinutes(3);

    private FailoverCostBench() {}

    static BenchReport run(BenchContext ctx) throws Exception {
        int requests = (int) ctx.size(200, 10);
        long latencyMs = 100;
        BenchReport report =
                new BenchReport(
                        "failover-cost",
                        "LLM calls bought again after a TaskManager is lost",
                        "One alarming headline on each of N keys, through the whole job on a"
                                + " MiniCluster with the in-process broker and the stub LLM. A"
                                + " checkpoint is taken with every request in flight; the answers"
                                + " then arrive and the TaskManager is terminated before the next"
                                + " checkpoint, and a new one started. The stub counts the calls"
                                + " after the loss: with the LLM response journal, and with"
                                + " llm.journal.enabled: false.");
        report.param("requests", requests)
                .param("stub_latency_ms", latencyMs)
                .param("parallelism", 1)
                .param("checkpoints", "one, triggered with every request in flight");
        Map<String, Double> reBought = new LinkedHashMap<>();
        for (boolean journal : List.of(true, false)) {
            String variant = journal ? "journal" : "no-journal";
            Run r = failover(journal, requests, latencyMs);
            reBought.put(variant, (double) r.callsAfter);
            com.fasterxml.jackson.databind.node.ObjectNode row = report.result(variant);
            row.put("requests", requests);
            row.put("answered_before_the_loss", r.answeredBefore);
            row.put("llm_calls_after_the_loss", r.callsAfter);
            row.put("actions_committed", r.actions);
            row.put("unique_action_ids", r.uniqueActions);
            System.out.printf(
                    "  %-10s  %d requests answered before the loss, %d LLM calls after it, %d"
                            + " actions committed (%d unique)%n",
                    variant, r.answeredBefore, r.callsAfter, r.actions, r.uniqueActions);
        }
        report.ratio(
                "calls after the loss, journal / requests",
                reBought.get("journal") / requests,
                "LLM calls bought again per request answered since the checkpoint");
        report.ratio(
                "calls after the loss, no-journal / requests",
                reBought.get("no-journal") / requests,
                "the same without the journal");
        report.target(
                "journal: calls after the loss per request",
                0.0,
                reBought.get("journal") / requests,
                false);
        report.note(
                "Only the answers given since the last checkpoint are at stake: a request still in"
                        + " flight at the loss is asked again with or without the journal, since"
                        + " its answer never arrived.");
        report.chart(
                "failover-cost: " + requests + " requests answered after the checkpoint",
                "LLM calls after the TaskManager loss",
                List.of("with the journal", "without (llm.journal.enabled: false)"),
                Map.of("LLM calls after the loss", List.copyOf(reBought.values())),
                false);
        return report;
    }

    /** What one variant's run counted. */
    record Run(long answeredBefore, long callsAfter, int actions, int uniqueActions) {}

    private static Run failover(boolean journal, int requests, long latencyMs) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        String news = "failover-news-" + s;
        String actions = "failover-actions-" + s;
        kafka.createTopics(1, news, actions, "failover-dlq-" + s);
        FeedGenerator.produceAlarmingNews(kafka.bootstrapServers(), news, "f", "FC", requests);
        try (StubLlmServer stub =
                StubLlmServer.start(
                        0, StubLlmServer.Settings.healthy().withLatency(latencyMs, 0), 5)) {
            JobFile job =
                    new JobFileParser(Map.of())
                            .parse("failover.yaml", yaml(s, kafka, news, actions, stub, journal));
            Configuration conf = ReflexJob.configuration(job);
            conf.setString("restart-strategy.type", "fixed-delay");
            conf.setString("restart-strategy.fixed-delay.attempts", "100");
            conf.setString("restart-strategy.fixed-delay.delay", "500 ms");
            MiniCluster cluster =
                    new MiniCluster(
                            new MiniClusterConfiguration.Builder()
                                    .setConfiguration(conf)
                                    .setNumTaskManagers(1)
                                    .setNumSlotsPerTaskManager(1)
                                    .build());
            try {
                cluster.start();
                StreamExecutionEnvironment env = new StreamExecutionEnvironment(conf);
                env.setParallelism(1);
                ReflexJob.build(env, job);
                StreamGraph graph = env.getStreamGraph();
                stub.hold();
                JobID id = cluster.submitJob(graph).get().getJobID();
                await("all requests in flight", () -> stub.inFlight() >= requests);
                cluster.triggerCheckpoint(id).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                stub.release();
                await(
                        "every answer in",
                        () -> stub.answersByRequestId().size() >= requests && stub.inFlight() == 0);
                if (journal) {
                    // Answers reach the journal just after the stub sends them: wait for all.
                    TopicReader.awaitAtLeast(
                            kafka.bootstrapServers(), "failover-journal-" + s, requests, WAIT);
                }
                long before = stub.requests();
                // The loss: every answer has arrived, and no checkpoint has committed its actions.
                cluster.terminateTaskManager(0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                cluster.startTaskManager();
                // Every decision is made again; a checkpoint commits the actions.
                await(
                        "the restarted job decides every request",
                        () ->
                                stub.requests() - before >= (journal ? 0 : requests)
                                        && stub.inFlight() == 0);
                List<ConsumerRecord<byte[], byte[]>> committed = List.of();
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (committed.size() < requests && System.nanoTime() < deadline) {
                    try {
                        cluster.triggerCheckpoint(id).get(30, TimeUnit.SECONDS);
                    } catch (Exception notYetRunning) {
                        // the restarted tasks are still being deployed; try again
                    }
                    committed =
                            TopicReader.readAll(
                                    kafka.bootstrapServers(), actions, Duration.ofSeconds(30));
                }
                Set<String> ids = new HashSet<>();
                for (ConsumerRecord<byte[], byte[]> r : committed) {
                    ids.add(Json.MAPPER.readTree(r.value()).get("action_id").asText());
                }
                return new Run(before, stub.requests() - before, committed.size(), ids.size());
            } finally {
                cluster.close();
            }
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier done)
            throws Exception {
        io.reflex.sandbox.Await.until(what, WAIT, done::getAsBoolean);
    }

    private static String yaml(
            String s,
            EmbeddedKafka kafka,
            String news,
            String actions,
            StubLlmServer stub,
            boolean journal) {
        return String.join(
                "\n",
                "job: {name: failover-" + s + ", checkpoint-interval: 1h, parallelism: 1}",
                "sources:",
                "  - name: news",
                "    bootstrap-servers: " + kafka.bootstrapServers(),
                "    topics: [" + news + "]",
                "    starting-offsets: earliest",
                "    key: /symbol",
                "    event-time: /ts",
                "    event-id: /id",
                "rules:",
                "  - {id: alarming-news, type: match, field: /headline, pattern: fraud}",
                "llm:",
                "  base-url: '" + stub.baseUrl() + "'",
                "  model: stub-model",
                "  max-concurrent: 4096",
                "  journal: {enabled: " + journal + ", topic: failover-journal-" + s + "}",
                "actions:",
                "  - type: alert",
                "sinks:",
                "  bootstrap-servers: " + kafka.bootstrapServers(),
                "  actions-topic: " + actions,
                "  dead-letter-topic: failover-dlq-" + s,
                "");
    }
}
