package io.reflex.jobs.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.reflex.connectors.websocket.WebSocketSourceOptions;
import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.decode.DecoderOptions;
import io.reflex.operators.detect.DetectorOptions;
import io.reflex.operators.detect.RuleSpec;
import io.reflex.operators.detect.RuleType;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.model.DeadLetterJson;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and validates a job file (YAML). Every problem is collected with its path, and a file with
 * any problem is refused with all of them; nothing half-valid ever starts.
 */
public final class JobFileParser {
    private static final Logger LOG = LoggerFactory.getLogger(JobFileParser.class);

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Duration MAX_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

    private final Map<String, String> env;

    /** A parser that takes {@code ${VAR}} values from {@code env}. */
    public JobFileParser(Map<String, String> env) {
        this.env = env;
    }

    /** A parser that takes {@code ${VAR}} values from the process environment. */
    public static JobFileParser withSystemEnv() {
        return new JobFileParser(System.getenv());
    }

    /** Reads and validates the file. */
    public JobFile parse(Path file) throws JobFileException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JobFileException(
                    file.toString(), List.of("cannot read the file: " + e.getMessage()));
        }
        return parse(file.toString(), text);
    }

    /** Validates a job file given as text; {@code name} is used in the error message. */
    public JobFile parse(String name, String yaml) throws JobFileException {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new JobFileException(name, List.of("not valid YAML: " + e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new JobFileException(name, List.of("expected a YAML mapping at the top"));
        }
        List<String> problems = new ArrayList<>();
        Section top = new Section(root, "", problems, env);
        top.onlyKeys(Set.of("job", "sources", "rules", "detector", "llm", "actions", "sinks"));

        Section job = top.section("job", true);
        job.onlyKeys(
                Set.of(
                        "name",
                        "parallelism",
                        "max-parallelism",
                        "checkpoint-interval",
                        "buffer-timeout"));
        String jobName = job.requiredString("name");
        if (jobName != null && !NAME.matcher(jobName).matches()) {
            job.problem("name", "use letters, digits, '.', '_' and '-' only");
        }
        int parallelism = (int) job.number("parallelism", 0, 0, 4096);
        int maxParallelism =
                (int) job.number("max-parallelism", JobFile.DEFAULT_MAX_PARALLELISM, 1, 32768);
        if (parallelism > maxParallelism) {
            job.problem("parallelism", "must not exceed max-parallelism (" + maxParallelism + ")");
        }
        Duration checkpointInterval = job.duration("checkpoint-interval", Duration.ofSeconds(10));
        if (checkpointInterval.toMillis() < 100) {
            job.problem("checkpoint-interval", "must be at least 100ms");
        }
        Duration bufferTimeout = job.duration("buffer-timeout", JobFile.DEFAULT_BUFFER_TIMEOUT);
        if (bufferTimeout.toMillis() > 10_000) {
            job.problem("buffer-timeout", "must be at most 10s");
        }

        List<JobFile.WebSocketSourceSpec> webSockets = new ArrayList<>();
        List<JobFile.KafkaSourceSpec> sources = sources(top, jobName, webSockets);
        Set<String> sourceNames = new HashSet<>();
        sources.forEach(s -> sourceNames.add(s.name()));
        webSockets.forEach(s -> sourceNames.add(s.name()));
        DetectorOptions detector = detector(top, sourceNames);
        Section llmSection = top.section("llm", true);
        LlmOptions llm = llm(llmSection);
        String llmOperator = llmSection.string("operator", JobFile.AGENT);
        if (!Set.of(JobFile.AGENT, JobFile.STATELESS).contains(llmOperator)) {
            llmSection.problem(
                    "operator", "expected agent or stateless, was '" + llmOperator + "'");
        }
        AgentOptions agent = agent(llmSection);
        ActionCatalogue catalogue = catalogue(top);
        JobFile.SinkSpec sinks = sinks(top.section("sinks", true));

        if (!problems.isEmpty()) {
            throw new JobFileException(name, problems);
        }
        return new JobFile(
                jobName,
                parallelism,
                maxParallelism,
                checkpointInterval,
                bufferTimeout,
                sources,
                webSockets,
                detector,
                llm,
                llmOperator,
                agent,
                catalogue,
                sinks);
    }

    private List<JobFile.KafkaSourceSpec> sources(
            Section top, String jobName, List<JobFile.WebSocketSourceSpec> webSockets) {
        List<JobFile.KafkaSourceSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Section s : top.sections("sources", true)) {
            if ("websocket".equals(s.string("type", "kafka"))) {
                JobFile.WebSocketSourceSpec ws = webSocket(s);
                if (ws.name() != null && !names.add(ws.name())) {
                    s.problem("name", "duplicate source name '" + ws.name() + "'");
                }
                webSockets.add(ws);
                continue;
            }
            s.onlyKeys(
                    Set.of(
                            "name",
                            "type",
                            "bootstrap-servers",
                            "topics",
                            "group-id",
                            "starting-offsets",
                            "bounded",
                            "properties",
                            "key",
                            "event-time",
                            "event-id",
                            "max-record-bytes",
                            "max-key-bytes",
                            "max-time-ahead",
                            "max-out-of-orderness",
                            "watermark-idle-timeout",
                            "idle-timeout"));
            String name = s.requiredString("name");
            if (name != null && !names.add(name)) {
                s.problem("name", "duplicate source name '" + name + "'");
            }
            String type = s.string("type", "kafka");
            if (!"kafka".equals(type)) {
                s.problem(
                        "type", "unknown source type '" + type + "' (supported: kafka, websocket)");
            }
            String bootstrap = s.requiredString("bootstrap-servers");
            List<String> topics = s.strings("topics");
            if (topics.isEmpty()) {
                s.problem("topics", "at least one topic is required");
            }
            String group = s.string("group-id", "reflex-" + jobName);
            String offsets = s.string("starting-offsets", "committed");
            if (!Set.of("earliest", "latest", "committed").contains(offsets)) {
                s.problem(
                        "starting-offsets",
                        "expected earliest, latest or committed, was '" + offsets + "'");
            }
            DecoderOptions decoding = decoding(s);
            out.add(
                    new JobFile.KafkaSourceSpec(
                            name,
                            bootstrap,
                            topics,
                            group,
                            offsets,
                            s.bool("bounded", false),
                            s.stringMap("properties"),
                            decoding,
                            s.duration("max-out-of-orderness", Duration.ofSeconds(5)),
                            watermarkIdleTimeout(s)));
        }
        return out;
    }

    /**
     * A Kafka source's {@code watermark-idle-timeout}. Its old name, {@code idle-timeout}, still
     * reads, with a warning: on a WebSocket source {@code idle-timeout} means reconnecting after a
     * silence, which is not what it does here.
     */
    private static Duration watermarkIdleTimeout(Section s) {
        if (!s.has("idle-timeout")) {
            return s.duration("watermark-idle-timeout", Duration.ofSeconds(30));
        }
        if (s.has("watermark-idle-timeout")) {
            s.problem(
                    "idle-timeout",
                    "give watermark-idle-timeout only; idle-timeout is its deprecated name");
        }
        LOG.warn(
                "{}: idle-timeout on a Kafka source is deprecated; call it"
                        + " watermark-idle-timeout, as on WebSocket sources, where idle-timeout"
                        + " means reconnecting after a silence",
                s.at("idle-timeout"));
        return s.duration("idle-timeout", Duration.ofSeconds(30));
    }

    private static JobFile.WebSocketSourceSpec webSocket(Section s) {
        s.onlyKeys(
                Set.of(
                        "name",
                        "type",
                        "urls",
                        "headers",
                        "subprotocols",
                        "subscribe-message",
                        "resume-url",
                        "sequence",
                        "truststore",
                        "truststore-password",
                        "ping-interval",
                        "idle-timeout",
                        "reconnect",
                        "max-message-bytes",
                        "key",
                        "event-time",
                        "event-id",
                        "max-record-bytes",
                        "max-key-bytes",
                        "max-time-ahead",
                        "max-out-of-orderness",
                        "watermark-idle-timeout"));
        List<String> urls = s.strings("urls");
        if (urls.isEmpty()) {
            s.problem("urls", "at least one ws:// or wss:// URL is required");
        }
        for (String u : urls) {
            if (!u.startsWith("ws://") && !u.startsWith("wss://")) {
                s.problem("urls", "expected a ws:// or wss:// URL, was '" + u + "'");
            }
        }
        String sequence = pointer(s, "sequence", false);
        String resume = s.string("resume-url", null);
        if (resume != null && sequence == null) {
            s.problem("resume-url", "needs sequence, the JSON pointer to each message's number");
        }
        Section reconnect = s.section("reconnect", false);
        reconnect.onlyKeys(
                Set.of(
                        "initial-backoff",
                        "max-backoff",
                        "stable-after",
                        "max-attempts",
                        "give-up"));
        String giveUp = reconnect.string("give-up", "fail");
        if (!Set.of("fail", "keep-trying").contains(giveUp)) {
            reconnect.problem("give-up", "expected fail or keep-trying, was '" + giveUp + "'");
        }
        return new JobFile.WebSocketSourceSpec(
                s.requiredString("name"),
                urls,
                s.stringMap("headers"),
                s.strings("subprotocols"),
                s.string("subscribe-message", null),
                resume,
                sequence,
                s.string("truststore", null),
                s.string("truststore-password", null),
                s.duration("ping-interval", Duration.ofSeconds(20)),
                s.duration("idle-timeout", Duration.ofSeconds(60)),
                reconnect.duration("initial-backoff", Duration.ofMillis(200)),
                reconnect.duration("max-backoff", Duration.ofSeconds(30)),
                reconnect.duration("stable-after", Duration.ofSeconds(30)),
                (int) reconnect.number("max-attempts", 0, 0, 1_000_000),
                "fail".equals(giveUp),
                (int)
                        s.number(
                                "max-message-bytes",
                                WebSocketSourceOptions.DEFAULT_MAX_MESSAGE_BYTES,
                                1,
                                64 * 1024 * 1024),
                decoding(s),
                s.duration("max-out-of-orderness", Duration.ofSeconds(5)),
                s.duration("watermark-idle-timeout", Duration.ofSeconds(30)));
    }

    /** The keys that every source shares: how its records become events, and their limits. */
    private static DecoderOptions decoding(Section s) {
        return new DecoderOptions(
                pointer(s, "key", true),
                pointer(s, "event-time", false),
                pointer(s, "event-id", false),
                (int)
                        s.number(
                                "max-record-bytes",
                                DecoderOptions.DEFAULT_MAX_RECORD_BYTES,
                                1,
                                64 * 1024 * 1024),
                (int)
                        s.number(
                                "max-key-bytes",
                                DecoderOptions.DEFAULT_MAX_KEY_BYTES,
                                1,
                                1024 * 1024),
                s.duration("max-time-ahead", DecoderOptions.DEFAULT_MAX_TIME_AHEAD).toMillis());
    }

    private static String pointer(Section s, String key, boolean required) {
        String p = required ? s.requiredString(key) : s.string(key, null);
        if (p != null && !p.startsWith("/")) {
            s.problem(key, "expected a JSON pointer such as /symbol, was '" + p + "'");
        }
        return p;
    }

    private DetectorOptions detector(Section top, Set<String> sourceNames) {
        List<RuleSpec> rules = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Section r : top.sections("rules", true)) {
            r.onlyKeys(
                    Set.of(
                            "id",
                            "type",
                            "sources",
                            "field",
                            "window",
                            "threshold-pct",
                            "alpha",
                            "threshold",
                            "min-count",
                            "pattern",
                            "after",
                            "cooldown"));
            String id = r.requiredString("id");
            if (id != null && !ids.add(id)) {
                r.problem("id", "duplicate rule id '" + id + "'");
            }
            String typeName = r.requiredString("type");
            RuleType type = typeName == null ? null : RuleType.fromId(typeName);
            if (typeName != null && type == null) {
                r.problem(
                        "type",
                        "unknown rule type '"
                                + typeName
                                + "' (supported: change-pct, zscore, match, absence)");
            }
            List<String> sources = r.strings("sources");
            for (String s : sources) {
                if (!sourceNames.contains(s)) {
                    r.problem("sources", "no source is named '" + s + "'");
                }
            }
            String field = type == RuleType.ABSENCE ? null : pointer(r, "field", type != null);
            long window = 0;
            double pct = 0;
            double alpha = 0;
            double threshold = 0;
            int minCount = 0;
            String pattern = null;
            long after = 0;
            if (type == RuleType.CHANGE_PCT) {
                Duration w = r.duration("window", null);
                if (w == null && !r.has("window")) {
                    r.problem("window", "required for a change-pct rule");
                }
                window = w == null ? 0 : w.toMillis();
                pct = r.decimal("threshold-pct", 0, 0, 1e9);
                if (pct <= 0) {
                    r.problem("threshold-pct", "required for a change-pct rule, above 0");
                }
            } else if (type == RuleType.ZSCORE) {
                alpha = r.decimal("alpha", 0.1, 1e-6, 1.0);
                threshold = r.decimal("threshold", 3.0, 1e-6, 1e6);
                minCount = (int) r.number("min-count", 20, 1, 1_000_000);
            } else if (type == RuleType.MATCH) {
                pattern = r.requiredString("pattern");
                if (pattern != null) {
                    try {
                        Pattern.compile(pattern);
                    } catch (PatternSyntaxException e) {
                        r.problem(
                                "pattern", "not a valid regular expression: " + e.getDescription());
                    }
                }
            } else if (type == RuleType.ABSENCE) {
                Duration a = r.duration("after", null);
                if (a == null && !r.has("after")) {
                    r.problem("after", "required for an absence rule");
                }
                after = a == null ? 0 : a.toMillis();
            }
            long cooldown = r.duration("cooldown", Duration.ZERO).toMillis();
            rules.add(
                    new RuleSpec(
                            id, type, sources, field, window, pct, alpha, threshold, minCount,
                            pattern, after, cooldown));
        }
        Section d = top.section("detector", false);
        d.onlyKeys(
                Set.of(
                        "context-events",
                        "context-event-max-chars",
                        "max-samples",
                        "state-ttl",
                        "dedupe-ttl",
                        "dedupe-window",
                        "cache-bytes",
                        "cache-write-delay"));
        return new DetectorOptions(
                rules,
                (int) d.number("context-events", DetectorOptions.DEFAULT_CONTEXT_EVENTS, 1, 100),
                (int)
                        d.number(
                                "context-event-max-chars",
                                DetectorOptions.DEFAULT_CONTEXT_EVENT_MAX_CHARS,
                                50,
                                100_000),
                (int) d.number("max-samples", DetectorOptions.DEFAULT_MAX_SAMPLES, 2, 100_000),
                d.duration("state-ttl", DetectorOptions.DEFAULT_STATE_TTL),
                d.duration("dedupe-ttl", DetectorOptions.DEFAULT_DEDUPE_TTL),
                (int) d.number("dedupe-window", DetectorOptions.DEFAULT_DEDUPE_WINDOW, 0, 4096),
                d.number("cache-bytes", DetectorOptions.DEFAULT_CACHE_BYTES, 0, 1L << 40),
                d.duration("cache-write-delay", DetectorOptions.DEFAULT_CACHE_WRITE_DELAY));
    }

    private LlmOptions llm(Section l) {
        l.onlyKeys(
                Set.of(
                        "base-url",
                        "api-key",
                        "api-key-file",
                        "model",
                        "timeout",
                        "max-attempts",
                        "initial-backoff",
                        "max-backoff",
                        "max-concurrent",
                        "system-prompt",
                        "prompt-template",
                        "temperature",
                        "max-tokens",
                        "max-prompt-tokens",
                        "operator",
                        "max-backlog",
                        "memory-decisions",
                        "memory-max-chars",
                        "memory-ttl",
                        "repair-invalid",
                        "max-tool-rounds",
                        "requests-per-minute",
                        "tokens-per-minute",
                        "quota-from-headers",
                        "circuit-breaker",
                        "price"));
        String baseUrl = l.requiredString("base-url");
        if (baseUrl != null) {
            try {
                URI u = URI.create(baseUrl);
                if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
                    l.problem("base-url", "expected an http or https URL, was '" + baseUrl + "'");
                }
            } catch (IllegalArgumentException e) {
                l.problem("base-url", "not a URL: " + e.getMessage());
            }
        }
        String apiKey = l.string("api-key", "");
        String keyFile = l.string("api-key-file", null);
        if (keyFile != null && !keyFile.isBlank()) {
            try {
                apiKey = Files.readString(Path.of(keyFile), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                l.problem(
                        "api-key-file",
                        "cannot read " + keyFile + " (" + e.getClass().getSimpleName() + ")");
            }
        }
        String template = l.string("prompt-template", LlmOptions.DEFAULT_PROMPT_TEMPLATE);
        if (!template.contains("{{context}}")) {
            l.problem("prompt-template", "must contain {{context}}, where the event data goes");
        }
        Duration initial = l.duration("initial-backoff", Duration.ofMillis(500));
        Duration max = l.duration("max-backoff", Duration.ofSeconds(10));
        if (max.compareTo(initial) < 0) {
            l.problem("max-backoff", "must not be below initial-backoff");
        }
        return new LlmOptions(
                baseUrl,
                apiKey,
                l.requiredString("model"),
                l.duration("timeout", Duration.ofSeconds(30)),
                (int) l.number("max-attempts", 4, 1, 20),
                initial,
                max,
                (int) l.number("max-concurrent", 64, 1, 4096),
                l.string("system-prompt", LlmOptions.DEFAULT_SYSTEM_PROMPT),
                template,
                l.decimal("temperature", 0.2, 0, 2),
                (int) l.number("max-tokens", 512, 1, 128_000),
                (int) l.number("max-prompt-tokens", 4000, 200, 1_000_000));
    }

    private static AgentOptions agent(Section l) {
        AgentOptions d = AgentOptions.defaults();
        Section breaker = l.section("circuit-breaker", false);
        breaker.onlyKeys(Set.of("failures", "cooldown"));
        Section price = l.section("price", false);
        price.onlyKeys(Set.of("input-per-million", "output-per-million"));
        return new AgentOptions(
                (int) l.number("max-backlog", d.maxBacklog(), 1, 10_000),
                (int) l.number("memory-decisions", d.memoryDecisions(), 0, 100),
                (int) l.number("memory-max-chars", d.memoryMaxChars(), 0, 20_000),
                l.duration("memory-ttl", d.memoryTtl()),
                l.bool("repair-invalid", d.repairInvalid()),
                (int) l.number("max-tool-rounds", d.maxToolRounds(), 0, 10),
                l.number("requests-per-minute", 0, 0, Long.MAX_VALUE),
                l.number("tokens-per-minute", 0, 0, Long.MAX_VALUE),
                l.bool("quota-from-headers", d.quotaFromHeaders()),
                (int) breaker.number("failures", d.breakerFailures(), 1, 10_000),
                breaker.duration("cooldown", d.breakerCooldown()),
                price.decimal("input-per-million", 0, 0, 1e6),
                price.decimal("output-per-million", 0, 0, 1e6));
    }

    private ActionCatalogue catalogue(Section top) {
        Map<String, ActionCatalogue.ActionType> types = new LinkedHashMap<>();
        for (Section a : top.sections("actions", true)) {
            a.onlyKeys(Set.of("type", "description", "params"));
            String type = a.requiredString("type");
            if (type == null) {
                continue;
            }
            if (!NAME.matcher(type).matches()) {
                a.problem("type", "use letters, digits, '.', '_' and '-' only");
            }
            if (types.containsKey(type)) {
                a.problem("type", "duplicate action type '" + type + "'");
            }
            JsonNode params = a.raw("params");
            String schema;
            if (params == null || params.isNull()) {
                schema =
                        "{\"type\":\"object\",\"properties\":{},\"required\":[],"
                                + "\"additionalProperties\":false}";
            } else if (!params.isObject()) {
                a.problem("params", "expected a JSON Schema mapping");
                continue;
            } else {
                if (!"object".equals(params.path("type").asText())) {
                    a.problem("params", "the params schema must have type: object");
                }
                try {
                    JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                            .getSchema(params);
                    schema = io.reflex.operators.model.Json.MAPPER.writeValueAsString(params);
                } catch (Exception e) {
                    a.problem("params", "not a valid JSON Schema: " + e.getMessage());
                    continue;
                }
            }
            types.put(
                    type,
                    new ActionCatalogue.ActionType(type, a.string("description", null), schema));
        }
        return new ActionCatalogue(types);
    }

    private JobFile.SinkSpec sinks(Section s) {
        s.onlyKeys(
                Set.of(
                        "bootstrap-servers",
                        "actions-topic",
                        "dead-letter-topic",
                        "delivery",
                        "transaction-timeout",
                        "dead-letter-max-bytes",
                        "properties"));
        String delivery = s.string("delivery", "exactly-once");
        if (!Set.of("exactly-once", "at-least-once").contains(delivery)) {
            s.problem("delivery", "expected exactly-once or at-least-once, was '" + delivery + "'");
        }
        Duration timeout = s.duration("transaction-timeout", MAX_TRANSACTION_TIMEOUT);
        if (timeout.compareTo(MAX_TRANSACTION_TIMEOUT) > 0) {
            s.problem("transaction-timeout", "must be at most 15m, the broker's usual maximum");
        }
        String actions = s.string("actions-topic", "reflex.actions");
        String dlq = s.string("dead-letter-topic", "reflex.dlq");
        if (actions.equals(dlq)) {
            s.problem("dead-letter-topic", "must differ from actions-topic");
        }
        Map<String, String> properties = s.stringMap("properties");
        int deadLetterMaxBytes =
                (int)
                        s.number(
                                "dead-letter-max-bytes",
                                JobFile.SinkSpec.DEFAULT_DEAD_LETTER_MAX_BYTES,
                                0,
                                64 * 1024 * 1024);
        int requestLimit = JobFile.SinkSpec.maxRequestBytes(properties);
        if (DeadLetterJson.maxEncodedBytes(deadLetterMaxBytes) + 1024 > requestLimit) {
            s.problem(
                    "dead-letter-max-bytes",
                    "a dead letter with "
                            + deadLetterMaxBytes
                            + " raw bytes can reach "
                            + DeadLetterJson.maxEncodedBytes(deadLetterMaxBytes)
                            + " bytes, more than the producer's max.request.size of "
                            + requestLimit
                            + " allows; lower it, or raise properties.max.request.size");
        }
        return new JobFile.SinkSpec(
                s.requiredString("bootstrap-servers"),
                actions,
                dlq,
                "exactly-once".equals(delivery),
                timeout,
                properties,
                deadLetterMaxBytes);
    }
}
