package io.reflex.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.TopicReader;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Follows the action topics as a {@code read_committed} consumer, from the offsets at which it
 * started, and prints every committed action as one line. What it counts is what downstream
 * consumers see.
 */
final class ActionTail implements AutoCloseable {
    private final String bootstrapServers;
    private final Map<String, String> clientProperties;
    private final Map<String, AgentOptions> prices;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;
    private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
    private final PrintStream out;
    private final AtomicLong seen = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopping;

    /**
     * Follows {@code topics} with a job file's sink brokers and client properties; {@code prices}
     * holds each topic's job's price table, for the cost on each line.
     */
    ActionTail(
            String bootstrapServers,
            Map<String, String> clientProperties,
            List<String> topics,
            Map<String, AgentOptions> prices,
            PrintStream out) {
        this.bootstrapServers = bootstrapServers;
        this.clientProperties = Map.copyOf(clientProperties);
        this.prices = Map.copyOf(prices);
        this.out = out;
        this.consumer =
                new KafkaConsumer<>(
                        TopicReader.readCommittedProperties(bootstrapServers, clientProperties));
        this.partitions =
                topics.stream()
                        .flatMap(
                                topic ->
                                        consumer
                                                .partitionsFor(topic, Duration.ofSeconds(30))
                                                .stream()
                                                .map(p -> new TopicPartition(topic, p.partition())))
                        .collect(Collectors.toList());
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        for (TopicPartition p : partitions) {
            positions.put(p, consumer.position(p)); // fixes the starting offsets now
        }
        this.thread = new Thread(this::loop, "reflex-action-tail");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Committed actions read so far. */
    long count() {
        return seen.get();
    }

    private void loop() {
        try {
            while (!stopping) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.incrementAndGet();
                    out.println(describe(r.value(), prices.get(r.topic())));
                }
                synchronized (positions) {
                    for (TopicPartition p : partitions) {
                        positions.put(p, consumer.position(p));
                    }
                    positions.notifyAll();
                }
            }
        } catch (WakeupException e) {
            // closing
        }
    }

    /**
     * Waits until every action committed so far has been read, at most {@code timeout}. Returns
     * whether it caught up.
     */
    boolean catchUp(Duration timeout) throws InterruptedException {
        Map<TopicPartition, Long> end;
        try (KafkaConsumer<byte[], byte[]> probe =
                new KafkaConsumer<>(
                        TopicReader.readCommittedProperties(bootstrapServers, clientProperties))) {
            end = probe.endOffsets(partitions, Duration.ofSeconds(30));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (positions) {
            while (!reached(end)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                positions.wait(Math.max(1, left / 1_000_000)); // woken after each poll
            }
        }
        return true;
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (positions.getOrDefault(e.getKey(), -1L) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** One readable line for an action. */
    static String describe(byte[] value) {
        return describe(value, null);
    }

    /**
     * One line for an action: key, type, params, reason, rule, id, the LLM's latency and, with
     * {@code price} (the job's {@code llm.price}), the cost of the answer that decided it.
     */
    static String describe(byte[] value, AgentOptions price) {
        try {
            JsonNode a = Json.MAPPER.readTree(value);
            String cost =
                    price == null
                                    || price.priceInputPerMillion() + price.priceOutputPerMillion()
                                            <= 0
                            ? ""
                            : String.format(
                                    java.util.Locale.ROOT,
                                    " cost=$%.6f",
                                    price.costMicroUsd(
                                                    a.at("/llm/prompt_tokens").asLong(),
                                                    a.at("/llm/completion_tokens").asLong())
                                            / 1e6);
            return String.format(
                    "action  %-6s %-6s %s  \"%s\"  [rule=%s id=%s llm=%dms%s]",
                    a.path("key").asText(),
                    a.path("type").asText(),
                    a.path("params").toString(),
                    a.path("reason").asText(),
                    a.at("/trigger/rule").asText(),
                    a.path("action_id").asText().substring(0, 12),
                    a.at("/llm/latency_ms").asLong(),
                    cost);
        } catch (Exception e) {
            return "action  (unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        consumer.wakeup();
        thread.join(5000);
        consumer.close();
    }
}
