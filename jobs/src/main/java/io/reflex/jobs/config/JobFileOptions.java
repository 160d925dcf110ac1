package io.reflex.jobs.config;

import io.reflex.connectors.config.Option;
import io.reflex.connectors.websocket.WebSocketSourceOptions;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.decode.DecoderOptions;
import io.reflex.operators.detect.DetectorOptions;
import io.reflex.operators.detect.RuleSpec;
import io.reflex.operators.llm.LlmOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The keys of the job file. The keys of a layer's own settings are defined next to them ({@link
 * DecoderOptions}, {@link DetectorOptions}, {@link RuleSpec}, {@link LlmOptions}, {@link
 * AgentOptions}, {@link WebSocketSourceOptions}); the keys that only a deployment has (the job, the
 * Kafka sources, the actions, the sinks) are defined here. {@link JobFileSections} places them in
 * the file's mappings.
 */
public final class JobFileOptions {
    private JobFileOptions() {}

    // ---- job

    public static final Option<String> JOB_NAME =
            Option.key("name")
                    .stringType()
                    .required()
                    .withDescription(
                            "letters, digits, `.`, `_`, `-`; also the prefix of the Kafka"
                                    + " transactional ids");

    public static final Option<Integer> PARALLELISM =
            Option.key("parallelism")
                    .intType()
                    .defaultValue(0)
                    .between(0, 4096)
                    .withDefaultText("cluster default")
                    .withDescription("default parallelism; `0` leaves it to the cluster");

    /** Flink's own default for jobs of parallelism up to 85, set explicitly so it never drifts. */
    public static final Option<Integer> MAX_PARALLELISM =
            Option.key("max-parallelism")
                    .intType()
                    .defaultValue(128)
                    .between(1, 32768)
                    .withDescription(
                            "the number of key groups: the most the job can ever be rescaled to. A"
                                    + " savepoint only restores at the same value, so choose it"
                                    + " once");

    public static final Option<Duration> CHECKPOINT_INTERVAL =
            Option.key("checkpoint-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .between(Duration.ofMillis(100), null)
                    .withDescription("exactly-once actions become visible on each checkpoint");

    /**
     * Buffers between tasks are sent after at most 10 ms: an event crosses one shuffle (decode to
     * detect), so this bounds what buffering adds to a reflex, at a few percent of throughput.
     */
    public static final Option<Duration> BUFFER_TIMEOUT =
            Option.key("buffer-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMillis(10))
                    .between(null, Duration.ofSeconds(10))
                    .withDescription(
                            "Flink's `execution.buffer-timeout.interval`: a network buffer is sent"
                                    + " when full or after this long. Flink's own default of 100 ms"
                                    + " added up to that to every hop of a trigger; `0ms` sends"
                                    + " every record at once, at a cost in throughput");

    // ---- sources, both kinds

    public static final Option<String> SOURCE_NAME =
            Option.key("name")
                    .stringType()
                    .required()
                    .withDescription("rules refer to sources by name");

    public static final String KAFKA = "kafka";
    public static final String WEBSOCKET = "websocket";

    public static final Option<String> SOURCE_TYPE =
            Option.key("type")
                    .stringType()
                    .defaultValue(KAFKA)
                    .withValues(KAFKA, WEBSOCKET)
                    .withDescription(
                            "`kafka`, or `websocket` (its keys are in [WebSocket"
                                    + " sources](#websocket-sources))");

    public static final Option<Duration> MAX_OUT_OF_ORDERNESS =
            Option.key("max-out-of-orderness")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDescription("watermark delay, per partition or feed");

    public static final Option<Duration> WATERMARK_IDLE_TIMEOUT =
            Option.key("watermark-idle-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("an idle partition or feed stops holding back the watermark");

    /**
     * On a Kafka source, {@code watermark-idle-timeout} was once {@code idle-timeout}, which on a
     * WebSocket source means reconnecting after a silence.
     */
    public static final Option<Duration> KAFKA_WATERMARK_IDLE_TIMEOUT =
            WATERMARK_IDLE_TIMEOUT
                    .withDeprecatedKeys("idle-timeout")
                    .withDescription(
                            "an idle partition stops holding back the watermark (its old name on"
                                    + " Kafka sources, `idle-timeout`, still reads, with a warning"
                                    + " in the log, since on a WebSocket source `idle-timeout`"
                                    + " means reconnecting after a silence)");

    // ---- Kafka sources

    public static final Option<String> BOOTSTRAP_SERVERS =
            Option.key("bootstrap-servers").stringType().required().withDescription("the brokers");

    public static final Option<List<String>> TOPICS =
            Option.key("topics").stringListType().required().withDescription("a list");

    public static final Option<String> GROUP_ID =
            Option.key("group-id")
                    .stringType()
                    .noDefaultValue()
                    .withDefaultText("`reflex-<job>`")
                    .withDescription("the consumer group");

    public static final Option<String> STARTING_OFFSETS =
            Option.key("starting-offsets")
                    .stringType()
                    .defaultValue("committed")
                    .withValues("earliest", "latest", "committed")
                    .withDescription(
                            "`earliest`, `latest`, or `committed` (earliest when the group has"
                                    + " none)");

    public static final Option<Boolean> BOUNDED =
            Option.key("bounded")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "stop at the offsets that are latest at start (backfills, tests)");

    public static final Option<Map<String, String>> SOURCE_PROPERTIES =
            Option.key("properties")
                    .mapType()
                    .noDefaultValue()
                    .withDescription(
                            "extra Kafka client properties, for example `security.protocol`, SASL"
                                    + " settings");

    // ---- llm

    public static final String AGENT = "agent";
    public static final String STATELESS = "stateless";

    public static final Option<String> LLM_OPERATOR =
            Option.key("operator")
                    .stringType()
                    .defaultValue(AGENT)
                    .withValues(AGENT, STATELESS)
                    .withDescription(
                            "`agent`: the keyed agent operator; `stateless`: the plain async"
                                    + " function (no memory, no coalescing)");

    // ---- actions

    public static final Option<String> ACTION_TYPE =
            Option.key("type")
                    .stringType()
                    .required()
                    .withDescription(
                            "an action type the LLM may choose: letters, digits, `.`, `_`, `-`");

    public static final Option<String> ACTION_DESCRIPTION =
            Option.key("description")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("shown to the LLM");

    public static final Option<Object> ACTION_PARAMS =
            Option.key("params")
                    .jsonSchemaType()
                    .withDefaultText("empty object")
                    .withDescription("a JSON Schema (type `object`) for the action's parameters");

    public static final Option<String> ACTION_TOPIC =
            Option.key("topic")
                    .stringType()
                    .noDefaultValue()
                    .withDefaultText("`sinks.actions-topic`")
                    .withDescription(
                            "the topic this type's actions go to; every action topic is written in"
                                    + " the same checkpoint's transactions");

    // ---- sinks

    public static final Option<String> ACTIONS_TOPIC =
            Option.key("actions-topic")
                    .stringType()
                    .defaultValue("reflex.actions")
                    .withDescription("where actions go");

    public static final Option<String> DEAD_LETTER_TOPIC =
            Option.key("dead-letter-topic")
                    .stringType()
                    .defaultValue("reflex.dlq")
                    .withDescription("where dead letters go; not the actions topic");

    public static final Option<String> DELIVERY =
            Option.key("delivery")
                    .stringType()
                    .defaultValue("exactly-once")
                    .withValues("exactly-once", "at-least-once")
                    .withDescription(
                            "`exactly-once`: Kafka transactions committed on checkpoints; or"
                                    + " `at-least-once`");

    public static final Option<Duration> TRANSACTION_TIMEOUT =
            Option.key("transaction-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(15))
                    .between(null, Duration.ofMinutes(15))
                    .withDescription(
                            "the producer's transaction timeout; the broker's default maximum"
                                    + " (`transaction.max.timeout.ms`) is 15 minutes");

    public static final Option<Integer> DEAD_LETTER_MAX_BYTES =
            Option.key("dead-letter-max-bytes")
                    .intType()
                    .defaultValue(64 * 1024)
                    .between(0, 64 * 1024 * 1024)
                    .withDescription(
                            "a dead letter carries at most this many bytes of its raw record (with"
                                    + " its size and SHA-256); refused when the largest such dead"
                                    + " letter would not fit the producer's `max.request.size`");

    public static final Option<Map<String, String>> SINK_PROPERTIES =
            Option.key("properties")
                    .mapType()
                    .noDefaultValue()
                    .withDescription("extra Kafka producer properties");

    public static final Option<String> AUDIT_TOPIC =
            Option.key("audit-topic")
                    .stringType()
                    .noDefaultValue()
                    .withDefaultText("off")
                    .withDescription(
                            "one record per LLM interaction, keyed by entity: request, triggers,"
                                    + " model, tokens, cost, latency, attempts, outcome and the"
                                    + " validated decision (`docs/audit.schema.json`); needs"
                                    + " `llm.operator: agent`");

    public static final Option<Boolean> AUDIT_INCLUDE_PROMPT =
            Option.key("audit-include-prompt")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "also write the prompt's messages into each audit record; event text"
                                    + " can be sensitive");

    public static final Option<String> STATE_TOPIC =
            Option.key("state-topic")
                    .stringType()
                    .noDefaultValue()
                    .withDefaultText("off")
                    .withDescription(
                            "a compacted changelog of each key's state: its rules' statistics,"
                                    + " last trigger, last decision and memory note"
                                    + " (`docs/state.schema.json`); needs `llm.operator: agent`");

    public static final Option<Duration> STATE_INTERVAL =
            Option.key("state-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(1))
                    .between(Duration.ofMillis(10), Duration.ofHours(1))
                    .withDescription(
                            "a key's state is written at most once per interval while its events"
                                    + " change it, plus once on each decision");
}
