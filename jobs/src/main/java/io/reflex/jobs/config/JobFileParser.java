package io.reflex.jobs.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.reflex.connectors.config.Option;
import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.agent.BudgetOptions;
import io.reflex.operators.detect.DetectorOptions;
import io.reflex.operators.detect.RuleSpec;
import io.reflex.operators.detect.RuleType;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.StructuredOutput;
import io.reflex.operators.model.DeadLetterJson;
import io.reflex.operators.model.Json;
import java.io.IOException;
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
 *
 * <p>Each value is read through its {@link Option} ({@link JobFileOptions}), which carries its
 * type, bounds, allowed values and default; each mapping refuses the keys its {@link OptionGroup}
 * does not define. What is left here are the checks across keys: rule to source references, the
 * keys a rule's type needs, regular expressions, parallelism against max-parallelism, backoff
 * bounds, and the dead letter against the producer's request size.
 */
public final class JobFileParser {
    private static final Logger LOG = LoggerFactory.getLogger(JobFileParser.class);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private final Map<String, String> env;

    private final List<String> warnings = new ArrayList<>();

    /** A parser that takes {@code ${VAR}} values from {@code env}. */
    public JobFileParser(Map<String, String> env) {
        this.env = env;
    }

    /** A parser that takes {@code ${VAR}} values from the process environment. */
    public static JobFileParser withSystemEnv() {
        return new JobFileParser(System.getenv());
    }

    /**
     * What the last {@link #parse} accepted but thought worth saying, each with its path: for now
     * the params schemas that strict structured output cannot send exactly (they are still enforced
     * locally). Also logged.
     */
    public List<String> warnings() {
        return List.copyOf(warnings);
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
        warnings.clear();
        Section top = new Section(root, "", problems, env);
        top.onlyKeys(JobFileSections.TOP.keySet());

        Section job = top.section("job", true);
        job.onlyKeys(JobFileSections.JOB);
        String jobName = job.get(JobFileOptions.JOB_NAME);
        if (jobName != null && !NAME.matcher(jobName).matches()) {
            job.problem("name", "use letters, digits, '.', '_' and '-' only");
        }
        int parallelism = job.get(JobFileOptions.PARALLELISM);
        int maxParallelism = job.get(JobFileOptions.MAX_PARALLELISM);
        if (parallelism > maxParallelism) {
            job.problem("parallelism", "must not exceed max-parallelism (" + maxParallelism + ")");
        }
        Duration checkpointInterval = job.get(JobFileOptions.CHECKPOINT_INTERVAL);
        Duration bufferTimeout = job.get(JobFileOptions.BUFFER_TIMEOUT);

        List<JobFile.KafkaSourceSpec> sources = new ArrayList<>();
        List<JobFile.WebSocketSourceSpec> webSockets = new ArrayList<>();
        Set<String> sourceNames = new HashSet<>();
        for (Section s : top.sections("sources", true)) {
            String sourceName = s.get(JobFileOptions.SOURCE_NAME);
            if (sourceName != null && !sourceNames.add(sourceName)) {
                s.problem("name", "duplicate source name '" + sourceName + "'");
            }
            if (JobFileOptions.WEBSOCKET.equals(s.get(JobFileOptions.SOURCE_TYPE))) {
                webSockets.add(SourceSections.webSocket(s));
            } else {
                sources.add(SourceSections.kafka(s, jobName));
            }
        }
        DetectorOptions detector = detector(top, sourceNames);
        Section llmSection = top.section("llm", true);
        llmSection.onlyKeys(JobFileSections.LLM);
        LlmOptions llm = LlmSections.llm(llmSection);
        String llmOperator = llmSection.get(JobFileOptions.LLM_OPERATOR);
        AgentOptions agent = LlmSections.agent(llmSection);
        JournalOptions journal =
                LlmSections.journal(
                        llmSection,
                        llmSection.section("journal", false),
                        llmSection.section("replay", false));
        BudgetOptions budget = LlmSections.budget(llmSection.section("budget", false), agent);
        Map<String, String> routes = new LinkedHashMap<>();
        ActionCatalogue catalogue =
                catalogue(
                        top,
                        routes,
                        StructuredOutput.STRICT.equals(llm.structuredOutput()) ? warnings : null);
        warnings.forEach(w -> LOG.warn("{}: {}", name, w));
        JobFile.SinkSpec sinks = sinks(top.section("sinks", true), routes, llmOperator);

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
                journal,
                budget,
                catalogue,
                sinks);
    }

    private static DetectorOptions detector(Section top, Set<String> sourceNames) {
        List<RuleSpec> rules = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Section r : top.sections("rules", true)) {
            rules.add(rule(r, ids, sourceNames));
        }
        Section d = top.section("detector", false);
        d.onlyKeys(JobFileSections.DETECTOR);
        return new DetectorOptions(
                rules,
                d.get(DetectorOptions.CONTEXT_EVENTS),
                d.get(DetectorOptions.CONTEXT_EVENT_MAX_CHARS),
                d.get(DetectorOptions.MAX_SAMPLES),
                d.get(DetectorOptions.STATE_TTL),
                d.get(DetectorOptions.DEDUPE_TTL),
                d.get(DetectorOptions.DEDUPE_WINDOW),
                d.get(DetectorOptions.CACHE_BYTES),
                d.get(DetectorOptions.CACHE_WRITE_DELAY));
    }

    /** One rule: the keys its type needs are required, the others keep their defaults. */
    private static RuleSpec rule(Section r, Set<String> ids, Set<String> sourceNames) {
        r.onlyKeys(JobFileSections.RULE);
        String id = r.get(RuleSpec.ID);
        if (id != null && !ids.add(id)) {
            r.problem("id", "duplicate rule id '" + id + "'");
        }
        String typeName = r.get(RuleSpec.TYPE);
        RuleType type = typeName == null ? null : RuleType.fromId(typeName);
        List<String> sources = r.get(RuleSpec.SOURCES);
        for (String s : sources) {
            if (!sourceNames.contains(s)) {
                r.problem("sources", "no source is named '" + s + "'");
            }
        }
        String field = type == RuleType.ABSENCE ? null : r.get(RuleSpec.FIELD);
        if (field == null && type != null && type != RuleType.ABSENCE && !r.has("field")) {
            r.problem("field", "required for a " + typeName + " rule");
        }
        long window = 0;
        double pct = 0;
        String pattern = null;
        long after = 0;
        if (type == RuleType.CHANGE_PCT) {
            window = requiredFor(r, RuleSpec.WINDOW, typeName).toMillis();
            Double p = r.get(RuleSpec.THRESHOLD_PCT);
            pct = p == null ? 0 : p;
            if (pct <= 0) {
                r.problem("threshold-pct", "required for a change-pct rule, above 0");
            }
        } else if (type == RuleType.MATCH) {
            pattern = r.get(RuleSpec.PATTERN);
            if (pattern == null) {
                r.problem("pattern", "required for a match rule");
            } else {
                try {
                    Pattern.compile(pattern);
                } catch (PatternSyntaxException e) {
                    r.problem("pattern", "not a valid regular expression: " + e.getDescription());
                }
            }
        } else if (type == RuleType.ABSENCE) {
            after = requiredFor(r, RuleSpec.AFTER, typeName).toMillis();
        }
        return new RuleSpec(
                id,
                type,
                sources,
                field,
                window,
                pct,
                r.get(RuleSpec.ALPHA),
                r.get(RuleSpec.THRESHOLD),
                r.get(RuleSpec.MIN_COUNT),
                pattern,
                after,
                r.get(RuleSpec.COOLDOWN).toMillis());
    }

    private static Duration requiredFor(Section r, Option<Duration> option, String ruleType) {
        Duration d = r.get(option);
        if (d == null) {
            if (!r.has(option.key())) {
                r.problem(option.key(), "required for " + article(ruleType) + " rule");
            }
            return Duration.ZERO;
        }
        return d;
    }

    private static String article(String word) {
        return ("aeiou".indexOf(word.charAt(0)) >= 0 ? "an " : "a ") + word;
    }

    /** The catalogue; the types given a topic of their own are put in {@code routes}. */
    private static ActionCatalogue catalogue(
            Section top, Map<String, String> routes, List<String> strictWarnings) {
        Map<String, ActionCatalogue.ActionType> types = new LinkedHashMap<>();
        for (Section a : top.sections("actions", true)) {
            a.onlyKeys(JobFileSections.ACTION);
            String type = a.get(JobFileOptions.ACTION_TYPE);
            if (type == null) {
                continue;
            }
            if (!NAME.matcher(type).matches()) {
                a.problem("type", "use letters, digits, '.', '_' and '-' only");
            }
            if (types.containsKey(type)) {
                a.problem("type", "duplicate action type '" + type + "'");
            }
            String topic = a.get(JobFileOptions.ACTION_TOPIC);
            if (topic != null) {
                if (topic.isBlank()) {
                    a.problem("topic", "must not be empty");
                } else {
                    routes.put(type, topic);
                }
            }
            JsonNode params = (JsonNode) a.get(JobFileOptions.ACTION_PARAMS);
            String schema = paramsSchema(a, params);
            if (schema != null && params != null && strictWarnings != null) {
                List<String> inexact = StructuredOutput.inexact(params);
                if (!inexact.isEmpty()) {
                    strictWarnings.add(
                            a.at("params")
                                    + ": llm.structured-output strict cannot send "
                                    + String.join(", ", inexact)
                                    + "; the model is not held to it, the local validation is"
                                    + " (an answer that breaks it is repaired or dead-lettered)");
                }
            }
            if (schema != null) {
                types.put(
                        type,
                        new ActionCatalogue.ActionType(
                                type, a.get(JobFileOptions.ACTION_DESCRIPTION), schema));
            }
        }
        return new ActionCatalogue(types);
    }

    /** An action's params schema as JSON text, or null (and a problem) when it is not one. */
    private static String paramsSchema(Section a, JsonNode params) {
        if (params == null || params.isNull()) {
            return "{\"type\":\"object\",\"properties\":{},\"required\":[],"
                    + "\"additionalProperties\":false}";
        }
        if (!params.isObject()) {
            a.problem("params", "expected a JSON Schema mapping");
            return null;
        }
        if (!"object".equals(params.path("type").asText())) {
            a.problem("params", "the params schema must have type: object");
        }
        try {
            JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(params);
            return Json.MAPPER.writeValueAsString(params);
        } catch (Exception e) {
            a.problem("params", "not a valid JSON Schema: " + e.getMessage());
            return null;
        }
    }

    private static JobFile.SinkSpec sinks(
            Section s, Map<String, String> routes, String llmOperator) {
        s.onlyKeys(JobFileSections.SINKS);
        String actions = s.get(JobFileOptions.ACTIONS_TOPIC);
        String dlq = s.get(JobFileOptions.DEAD_LETTER_TOPIC);
        if (actions.equals(dlq)) {
            s.problem("dead-letter-topic", "must differ from actions-topic");
        }
        routes.forEach(
                (type, topic) -> {
                    if (topic.equals(dlq)) {
                        s.problem(
                                "dead-letter-topic",
                                "must differ from the topic of action type '" + type + "'");
                    }
                });
        String audit = s.get(JobFileOptions.AUDIT_TOPIC);
        String state = s.get(JobFileOptions.STATE_TOPIC);
        Set<String> written = new HashSet<>(routes.values());
        written.add(actions);
        written.add(dlq);
        String[][] outputs = {{"audit-topic", audit}, {"state-topic", state}};
        for (String[] output : outputs) {
            String topic = output[1];
            if (topic == null) {
                continue;
            }
            if (!written.add(topic)) {
                s.problem(output[0], "must differ from every other topic the job writes");
            }
            if (JobFileOptions.STATELESS.equals(llmOperator)) {
                s.problem(
                        output[0],
                        "needs llm.operator: agent (the stateless operator keeps no per-key state"
                                + " or request history)");
            }
        }
        Map<String, String> properties = s.get(JobFileOptions.SINK_PROPERTIES);
        int deadLetterMaxBytes = s.get(JobFileOptions.DEAD_LETTER_MAX_BYTES);
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
                s.get(JobFileOptions.BOOTSTRAP_SERVERS),
                actions,
                dlq,
                "exactly-once".equals(s.get(JobFileOptions.DELIVERY)),
                s.get(JobFileOptions.TRANSACTION_TIMEOUT),
                properties,
                deadLetterMaxBytes,
                Map.copyOf(routes),
                audit,
                s.get(JobFileOptions.AUDIT_INCLUDE_PROMPT),
                state,
                s.get(JobFileOptions.STATE_INTERVAL));
    }
}
