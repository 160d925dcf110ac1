package io.reflex.jobs.config;

import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.agent.BudgetOptions;
import io.reflex.operators.decode.DecoderOptions;
import io.reflex.operators.detect.DetectorOptions;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.llm.LlmOptions;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A validated job file: one deployment of the Reflex pipeline. Built only by {@link JobFileParser},
 * which refuses a file with problems and lists every one of them.
 *
 * @param name the job name; also the prefix of the Kafka transactional ids
 * @param parallelism the default parallelism, or 0 to leave it to the cluster
 * @param maxParallelism the number of key groups: the most the job can ever be rescaled to. Fixed
 *     for the life of the job's state: a savepoint does not restore at another value
 * @param checkpointInterval the checkpoint interval (exactly-once commits happen on checkpoints)
 * @param bufferTimeout how long a network buffer between tasks waits to fill before it is sent
 *     anyway; Flink's default of 100 ms adds up to that much latency per shuffle, 0 flushes every
 *     record
 * @param sources the Kafka sources
 * @param webSocketSources the WebSocket sources
 * @param detector the detection rules and their settings
 * @param llm the LLM endpoint, limits and prompts
 * @param llmOperator {@code agent} (the keyed agent operator) or {@code stateless} (the async
 *     function)
 * @param agent the keyed agent's settings
 * @param journal the LLM response journal's settings (on the sinks' brokers)
 * @param budget the agent's spend budgets
 * @param catalogue the action catalogue
 * @param sinks where actions and dead letters go
 */
public record JobFile(
        String name,
        int parallelism,
        int maxParallelism,
        Duration checkpointInterval,
        Duration bufferTimeout,
        List<KafkaSourceSpec> sources,
        List<WebSocketSourceSpec> webSocketSources,
        DetectorOptions detector,
        LlmOptions llm,
        String llmOperator,
        AgentOptions agent,
        JournalOptions journal,
        BudgetOptions budget,
        ActionCatalogue catalogue,
        SinkSpec sinks)
        implements Serializable {

    /**
     * One Kafka source.
     *
     * @param name the source's name; rules refer to it
     * @param bootstrapServers the brokers
     * @param topics the topics
     * @param groupId the consumer group
     * @param startingOffsets {@code earliest}, {@code latest} or {@code committed} (falling back to
     *     earliest)
     * @param bounded stop at the offsets that are latest when the job starts
     * @param properties extra Kafka client properties, for example security settings
     * @param decoding how records become events: the key, event-time and id pointers and the limits
     *     beyond which a record is dead-lettered
     * @param maxOutOfOrderness how late events may be before they count as late
     * @param idleTimeout a partition without records for this long stops holding back watermarks
     * @param startAtMs start at the first record at or after this timestamp instead of {@code
     *     startingOffsets}; -1 for none (backtests)
     * @param stopAtMs when bounded, stop at the first record at or after this timestamp instead of
     *     the latest offsets; -1 for none (backtests)
     */
    public record KafkaSourceSpec(
            String name,
            String bootstrapServers,
            List<String> topics,
            String groupId,
            String startingOffsets,
            boolean bounded,
            Map<String, String> properties,
            DecoderOptions decoding,
            Duration maxOutOfOrderness,
            Duration idleTimeout,
            long startAtMs,
            long stopAtMs)
            implements Serializable {

        /** A source as the job file describes it: no timestamps to start or stop at. */
        public KafkaSourceSpec(
                String name,
                String bootstrapServers,
                List<String> topics,
                String groupId,
                String startingOffsets,
                boolean bounded,
                Map<String, String> properties,
                DecoderOptions decoding,
                Duration maxOutOfOrderness,
                Duration idleTimeout) {
            this(
                    name,
                    bootstrapServers,
                    topics,
                    groupId,
                    startingOffsets,
                    bounded,
                    properties,
                    decoding,
                    maxOutOfOrderness,
                    idleTimeout,
                    -1,
                    -1);
        }

        /**
         * This source bounded to the records from {@code startAtMs} (-1: the earliest) up to {@code
         * stopAtMs} (-1: the latest when the job starts), read under {@code groupId}.
         */
        public KafkaSourceSpec history(long startAtMs, long stopAtMs, String groupId) {
            return new KafkaSourceSpec(
                    name,
                    bootstrapServers,
                    topics,
                    groupId,
                    "earliest",
                    true,
                    properties,
                    decoding,
                    maxOutOfOrderness,
                    idleTimeout,
                    startAtMs,
                    stopAtMs);
        }
    }

    /**
     * One WebSocket source: its endpoints, connection settings, and how to decode its messages.
     * Header values (for example {@code Authorization: Bearer ${FEED_TOKEN}}) are never logged.
     */
    public record WebSocketSourceSpec(
            String name,
            List<String> urls,
            Map<String, String> headers,
            List<String> subprotocols,
            String subscribeMessage,
            String resumeUrl,
            String sequencePointer,
            String trustStore,
            String trustStorePassword,
            Duration pingInterval,
            Duration idleTimeout,
            Duration initialBackoff,
            Duration maxBackoff,
            Duration stableAfter,
            int maxAttempts,
            boolean failWhenExhausted,
            int maxMessageBytes,
            DecoderOptions decoding,
            Duration maxOutOfOrderness,
            Duration watermarkIdleTimeout)
            implements Serializable {

        @Override
        public String toString() {
            return "WebSocketSourceSpec[" + name + ", urls=" + urls + "]";
        }
    }

    /**
     * The sinks.
     *
     * @param bootstrapServers the brokers
     * @param actionsTopic the actions topic
     * @param deadLetterTopic the dead-letter topic
     * @param exactlyOnce Kafka transactions committed on checkpoints, or at-least-once
     * @param transactionTimeout the producer's transaction timeout (at most 15 minutes)
     * @param properties extra Kafka client properties
     * @param deadLetterMaxBytes a dead letter carries at most this many bytes of its raw record
     * @param actionRoutes the action types that go to a topic other than {@code actionsTopic}, and
     *     their topics
     * @param auditTopic the audit topic: one record per LLM interaction; null when off
     * @param auditIncludePrompt whether audit records carry the prompt's text
     * @param stateTopic the compacted per-key state changelog; null when off
     * @param stateInterval a key's state is written at most once per this interval, plus once on
     *     each decision
     */
    public record SinkSpec(
            String bootstrapServers,
            String actionsTopic,
            String deadLetterTopic,
            boolean exactlyOnce,
            Duration transactionTimeout,
            Map<String, String> properties,
            int deadLetterMaxBytes,
            Map<String, String> actionRoutes,
            String auditTopic,
            boolean auditIncludePrompt,
            String stateTopic,
            Duration stateInterval)
            implements Serializable {

        /** The topic that actions of {@code type} go to. */
        public String actionTopic(String type) {
            return actionRoutes.getOrDefault(type, actionsTopic);
        }

        /** Every topic actions go to: the default first, then the routed ones, each once. */
        public List<String> actionTopics() {
            java.util.LinkedHashSet<String> topics = new java.util.LinkedHashSet<>();
            topics.add(actionsTopic);
            topics.addAll(actionRoutes.values());
            return List.copyOf(topics);
        }

        /**
         * Every topic these sinks write, each with the job-file key that names it: the action
         * topics, the dead-letter topic, and the audit and state topics when on.
         */
        public Map<String, String> topicsByKey() {
            Map<String, String> out = new java.util.LinkedHashMap<>();
            out.put(actionsTopic, "sinks.actions-topic");
            actionRoutes.forEach(
                    (type, topic) -> out.putIfAbsent(topic, "actions[" + type + "].topic"));
            out.put(deadLetterTopic, "sinks.dead-letter-topic");
            if (auditTopic != null) {
                out.put(auditTopic, "sinks.audit-topic");
            }
            if (stateTopic != null) {
                out.put(stateTopic, "sinks.state-topic");
            }
            return out;
        }

        /**
         * These sinks with every topic renamed by {@code rename}, and the default actions topic
         * {@code actionsTopic} when not null: for a backtest, which writes beside the live topics.
         */
        public SinkSpec renamed(
                java.util.function.UnaryOperator<String> rename, String actionsTopic) {
            Map<String, String> routes = new java.util.LinkedHashMap<>();
            actionRoutes.forEach((type, topic) -> routes.put(type, rename.apply(topic)));
            return new SinkSpec(
                    bootstrapServers,
                    actionsTopic != null ? actionsTopic : rename.apply(this.actionsTopic),
                    rename.apply(deadLetterTopic),
                    exactlyOnce,
                    transactionTimeout,
                    properties,
                    deadLetterMaxBytes,
                    routes,
                    auditTopic == null ? null : rename.apply(auditTopic),
                    auditIncludePrompt,
                    stateTopic == null ? null : rename.apply(stateTopic),
                    stateInterval);
        }

        /** The producer's defaults for the two settings that bound one record. */
        private static final long DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;

        private static final long DEFAULT_BUFFER_MEMORY = 32L * 1024 * 1024;

        /**
         * The producer's own bound on one record: the smaller of {@code max.request.size} and
         * {@code buffer.memory}, from {@code producerProperties} or the producer's defaults.
         */
        public static int maxRequestBytes(Map<String, String> producerProperties) {
            long request =
                    parse(producerProperties.get("max.request.size"), DEFAULT_MAX_REQUEST_SIZE);
            long memory = parse(producerProperties.get("buffer.memory"), DEFAULT_BUFFER_MEMORY);
            return (int) Math.min(Integer.MAX_VALUE, Math.min(request, memory));
        }

        private static long parse(String value, long fallback) {
            if (value == null) {
                return fallback;
            }
            try {
                return Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
    }
}
