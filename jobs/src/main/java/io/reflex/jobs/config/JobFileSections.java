package io.reflex.jobs.config;

import io.reflex.connectors.config.Option;
import io.reflex.connectors.websocket.WebSocketSourceOptions;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.agent.BudgetOptions;
import io.reflex.operators.decode.DecoderOptions;
import io.reflex.operators.detect.DetectorOptions;
import io.reflex.operators.detect.RuleSpec;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.llm.LlmOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The mappings of the job file and the keys each one holds, in the order the docs list them. {@link
 * JobFileParser} refuses any key a mapping does not hold, and {@link JobFileReference} renders the
 * README's tables and {@code docs/job.schema.json} from these.
 */
public final class JobFileSections {
    private JobFileSections() {}

    public static final OptionGroup JOB =
            new OptionGroup(
                    "job",
                    List.of(
                            JobFileOptions.JOB_NAME,
                            JobFileOptions.PARALLELISM,
                            JobFileOptions.MAX_PARALLELISM,
                            JobFileOptions.CHECKPOINT_INTERVAL,
                            JobFileOptions.BUFFER_TIMEOUT));

    /** The keys every source has: how its records become events, their limits, watermarks. */
    private static final List<Option<?>> DECODING =
            List.of(
                    DecoderOptions.KEY,
                    DecoderOptions.EVENT_TIME,
                    DecoderOptions.EVENT_ID,
                    DecoderOptions.MAX_RECORD_BYTES,
                    DecoderOptions.MAX_KEY_BYTES,
                    DecoderOptions.MAX_TIME_AHEAD,
                    JobFileOptions.MAX_OUT_OF_ORDERNESS);

    public static final OptionGroup KAFKA_SOURCE =
            new OptionGroup(
                    "sources[]",
                    concat(
                            List.of(
                                    JobFileOptions.SOURCE_NAME,
                                    JobFileOptions.SOURCE_TYPE,
                                    JobFileOptions.BOOTSTRAP_SERVERS,
                                    JobFileOptions.TOPICS,
                                    JobFileOptions.GROUP_ID,
                                    JobFileOptions.STARTING_OFFSETS,
                                    JobFileOptions.BOUNDED,
                                    JobFileOptions.SOURCE_PROPERTIES),
                            DECODING,
                            List.of(JobFileOptions.KAFKA_WATERMARK_IDLE_TIMEOUT)));

    public static final OptionGroup RECONNECT =
            new OptionGroup(
                    "sources[].reconnect",
                    List.of(
                            WebSocketSourceOptions.INITIAL_BACKOFF,
                            WebSocketSourceOptions.MAX_BACKOFF,
                            WebSocketSourceOptions.STABLE_AFTER,
                            WebSocketSourceOptions.MAX_ATTEMPTS,
                            WebSocketSourceOptions.GIVE_UP));

    public static final OptionGroup WEBSOCKET_SOURCE =
            new OptionGroup(
                    "sources[]",
                    concat(
                            List.of(
                                    JobFileOptions.SOURCE_NAME,
                                    JobFileOptions.SOURCE_TYPE,
                                    WebSocketSourceOptions.URLS,
                                    WebSocketSourceOptions.HEADERS,
                                    WebSocketSourceOptions.SUBPROTOCOLS,
                                    WebSocketSourceOptions.SUBSCRIBE_MESSAGE,
                                    WebSocketSourceOptions.RESUME_URL,
                                    WebSocketSourceOptions.SEQUENCE,
                                    WebSocketSourceOptions.TRUSTSTORE,
                                    WebSocketSourceOptions.TRUSTSTORE_PASSWORD,
                                    WebSocketSourceOptions.PING_INTERVAL,
                                    WebSocketSourceOptions.IDLE_TIMEOUT,
                                    WebSocketSourceOptions.MAX_MESSAGE_BYTES),
                            DECODING,
                            List.of(JobFileOptions.WATERMARK_IDLE_TIMEOUT)),
                    Map.of("reconnect", RECONNECT));

    public static final OptionGroup RULE =
            new OptionGroup(
                    "rules[]",
                    List.of(
                            RuleSpec.ID,
                            RuleSpec.TYPE,
                            RuleSpec.SOURCES,
                            RuleSpec.FIELD,
                            RuleSpec.WINDOW,
                            RuleSpec.THRESHOLD_PCT,
                            RuleSpec.ALPHA,
                            RuleSpec.THRESHOLD,
                            RuleSpec.MIN_COUNT,
                            RuleSpec.PATTERN,
                            RuleSpec.AFTER,
                            RuleSpec.COOLDOWN));

    public static final OptionGroup DETECTOR =
            new OptionGroup(
                    "detector",
                    List.of(
                            DetectorOptions.CONTEXT_EVENTS,
                            DetectorOptions.CONTEXT_EVENT_MAX_CHARS,
                            DetectorOptions.MAX_SAMPLES,
                            DetectorOptions.STATE_TTL,
                            DetectorOptions.DEDUPE_WINDOW,
                            DetectorOptions.DEDUPE_TTL,
                            DetectorOptions.CACHE_BYTES,
                            DetectorOptions.CACHE_WRITE_DELAY));

    public static final OptionGroup CIRCUIT_BREAKER =
            new OptionGroup(
                    "llm.circuit-breaker",
                    List.of(AgentOptions.BREAKER_FAILURES, AgentOptions.BREAKER_COOLDOWN));

    public static final OptionGroup PRICE =
            new OptionGroup(
                    "llm.price",
                    List.of(
                            AgentOptions.PRICE_INPUT_PER_MILLION,
                            AgentOptions.PRICE_OUTPUT_PER_MILLION));

    public static final OptionGroup JOURNAL =
            new OptionGroup(
                    "llm.journal",
                    List.of(
                            JournalOptions.ENABLED,
                            JournalOptions.TOPIC,
                            JournalOptions.PARTITIONS,
                            JournalOptions.RETENTION,
                            JournalOptions.MAX_RESTORE_ENTRIES,
                            JournalOptions.RESTORE_TIMEOUT,
                            JournalOptions.GROUP_WAIT));

    public static final OptionGroup BUDGET =
            new OptionGroup(
                    "llm.budget",
                    List.of(BudgetOptions.TOKENS_PER_KEY_PER_DAY, BudgetOptions.COST_PER_DAY));

    public static final OptionGroup REPLAY =
            new OptionGroup(
                    "llm.replay", List.of(JournalOptions.REPLAY_JOURNAL, JournalOptions.ON_MISS));

    public static final OptionGroup LLM =
            new OptionGroup(
                    "llm",
                    List.of(
                            LlmOptions.BASE_URL,
                            LlmOptions.API_KEY,
                            LlmOptions.API_KEY_FILE,
                            LlmOptions.MODEL,
                            LlmOptions.TIMEOUT,
                            LlmOptions.MAX_ATTEMPTS,
                            LlmOptions.INITIAL_BACKOFF,
                            LlmOptions.MAX_BACKOFF,
                            LlmOptions.MAX_CONCURRENT,
                            LlmOptions.SYSTEM_PROMPT,
                            LlmOptions.PROMPT_TEMPLATE,
                            LlmOptions.TEMPERATURE,
                            LlmOptions.MAX_TOKENS,
                            LlmOptions.MAX_PROMPT_TOKENS,
                            LlmOptions.STRUCTURED_OUTPUT,
                            JobFileOptions.LLM_OPERATOR,
                            JournalOptions.MODE,
                            AgentOptions.MAX_BACKLOG,
                            AgentOptions.MEMORY_DECISIONS,
                            AgentOptions.MEMORY_MAX_CHARS,
                            AgentOptions.MEMORY_TTL,
                            AgentOptions.REPAIR_INVALID,
                            AgentOptions.MAX_TOOL_ROUNDS,
                            AgentOptions.REQUESTS_PER_MINUTE,
                            AgentOptions.TOKENS_PER_MINUTE,
                            AgentOptions.QUOTA_FROM_HEADERS),
                    orderedMap(
                            "circuit-breaker",
                            CIRCUIT_BREAKER,
                            "price",
                            PRICE,
                            "budget",
                            BUDGET,
                            "journal",
                            JOURNAL,
                            "replay",
                            REPLAY));

    public static final OptionGroup ACTION =
            new OptionGroup(
                    "actions[]",
                    List.of(
                            JobFileOptions.ACTION_TYPE,
                            JobFileOptions.ACTION_DESCRIPTION,
                            JobFileOptions.ACTION_PARAMS,
                            JobFileOptions.ACTION_TOPIC));

    public static final OptionGroup SINKS =
            new OptionGroup(
                    "sinks",
                    List.of(
                            JobFileOptions.BOOTSTRAP_SERVERS,
                            JobFileOptions.ACTIONS_TOPIC,
                            JobFileOptions.DEAD_LETTER_TOPIC,
                            JobFileOptions.DELIVERY,
                            JobFileOptions.TRANSACTION_TIMEOUT,
                            JobFileOptions.DEAD_LETTER_MAX_BYTES,
                            JobFileOptions.AUDIT_TOPIC,
                            JobFileOptions.AUDIT_INCLUDE_PROMPT,
                            JobFileOptions.STATE_TOPIC,
                            JobFileOptions.STATE_INTERVAL,
                            JobFileOptions.SINK_PROPERTIES));

    /** The top of the file: each section's key, and its keys' group. */
    public static final Map<String, OptionGroup> TOP =
            orderedMap(
                    "job", JOB,
                    "sources", KAFKA_SOURCE,
                    "rules", RULE,
                    "detector", DETECTOR,
                    "llm", LLM,
                    "actions", ACTION,
                    "sinks", SINKS);

    @SafeVarargs
    private static List<Option<?>> concat(List<Option<?>>... parts) {
        List<Option<?>> out = new ArrayList<>();
        for (List<Option<?>> p : parts) {
            out.addAll(p);
        }
        return out;
    }

    private static Map<String, OptionGroup> orderedMap(Object... keysAndGroups) {
        Map<String, OptionGroup> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndGroups.length; i += 2) {
            out.put((String) keysAndGroups[i], (OptionGroup) keysAndGroups[i + 1]);
        }
        return out;
    }
}
