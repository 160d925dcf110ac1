package io.reflex.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.reflex.operators.detect.RuleType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tests for {@link JobFileParser}. */
class JobFileParserTest {
    private static final String MINIMAL =
            String.join(
                    "\n",
                    "job: {name: j}",
                    "sources:",
                    "  - {name: s, bootstrap-servers: 'k:9092', topics: [t], key: /k}",
                    "rules:",
                    "  - {id: r, type: match, field: /f, pattern: x}",
                    "llm: {base-url: 'http://127.0.0.1:1/v1', model: m}",
                    "actions:",
                    "  - type: alert",
                    "sinks: {bootstrap-servers: 'k:9092'}",
                    "");

    private static List<String> problems(String yaml) {
        JobFileException e =
                catchThrowableOfType(
                        JobFileException.class,
                        () -> new JobFileParser(Map.of()).parse("bad.yaml", yaml));
        assertThat(e).as("expected the file to be refused").isNotNull();
        return e.problems();
    }

    @Test
    void theExampleJobFileIsValid() throws Exception {
        JobFile job =
                new JobFileParser(Map.of("REFLEX_KAFKA_BOOTSTRAP", "127.0.0.1:1234"))
                        .parse(Path.of("examples/market-watch.yaml"));
        assertThat(job.name()).isEqualTo("market-watch");
        assertThat(job.sources())
                .extracting(JobFile.KafkaSourceSpec::name)
                .containsExactly("trades");
        JobFile.WebSocketSourceSpec news = job.webSocketSources().get(0);
        assertThat(news.name()).isEqualTo("news");
        assertThat(news.urls()).containsExactly("ws://127.0.0.1:8765/feed");
        assertThat(news.resumeUrl()).isEqualTo("ws://127.0.0.1:8765/feed?since={lastSeq}");
        assertThat(news.sequencePointer()).isEqualTo("/seq");
        assertThat(job.sources().get(0).bootstrapServers()).isEqualTo("127.0.0.1:1234");
        assertThat(job.detector().rules())
                .extracting(r -> r.type())
                .containsExactly(RuleType.CHANGE_PCT, RuleType.ZSCORE, RuleType.MATCH);
        assertThat(job.llm().baseUrl()).isEqualTo("https://api.openai.com/v1");
        assertThat(job.llm().model()).isEqualTo("gpt-4o-mini");
        assertThat(job.catalogue().types()).containsOnlyKeys("alert", "watch", "escalate");
        assertThat(job.sinks().actionTopic("escalate")).isEqualTo("reflex.escalations");
        assertThat(job.sinks().auditTopic()).isEqualTo("reflex.audit");
        assertThat(job.sinks().stateTopic()).isEqualTo("reflex.state");
        assertThat(job.sinks().exactlyOnce()).isTrue();

        JobFile investigate =
                new JobFileParser(Map.of()).parse(Path.of("examples/investigate.yaml"));
        assertThat(investigate.sources().get(0).topics())
                .as("the second agent of the chain reads the first one's escalations")
                .containsExactly(job.sinks().actionTopic("escalate"));
        assertThat(job.checkpointInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aMinimalFileGetsDefaults() throws Exception {
        JobFile job = new JobFileParser(Map.of()).parse("min.yaml", MINIMAL);
        assertThat(job.sources().get(0).groupId()).isEqualTo("reflex-j");
        assertThat(job.sources().get(0).startingOffsets()).isEqualTo("committed");
        assertThat(job.llm().maxAttempts()).isEqualTo(4);
        assertThat(job.sinks().actionsTopic()).isEqualTo("reflex.actions");
        assertThat(job.sinks().deadLetterTopic()).isEqualTo("reflex.dlq");
        assertThat(job.sinks().transactionTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(job.catalogue().types().get("alert").paramsSchema()).contains("\"object\"");
    }

    @Test
    void substitutesEnvironmentVariablesWithDefaults() throws Exception {
        String yaml =
                MINIMAL.replace("model: m", "model: '${MODEL:-fallback}'")
                        .replace("'k:9092'}", "'${KAFKA}'}");
        JobFile job = new JobFileParser(Map.of("KAFKA", "broker:1")).parse("env.yaml", yaml);
        assertThat(job.llm().model()).isEqualTo("fallback");
        assertThat(job.sinks().bootstrapServers()).isEqualTo("broker:1");
    }

    @Test
    void actionTypesAreRoutedAndTheOutputsAreOffByDefault() throws Exception {
        JobFile plain = new JobFileParser(Map.of()).parse("min.yaml", MINIMAL);
        assertThat(plain.sinks().actionTopic("alert")).isEqualTo("reflex.actions");
        assertThat(plain.sinks().auditTopic()).isNull();
        assertThat(plain.sinks().stateTopic()).isNull();
        assertThat(plain.sinks().topicsByKey()).containsOnlyKeys("reflex.actions", "reflex.dlq");

        String routed =
                MINIMAL.replace(
                                "  - type: alert",
                                "  - {type: alert, topic: alerts}\n  - type: watch")
                        .replace(
                                "sinks: {bootstrap-servers: 'k:9092'}",
                                "sinks: {bootstrap-servers: 'k:9092', audit-topic: audit,"
                                        + " state-topic: state, state-interval: 2s}");
        JobFile.SinkSpec sinks = new JobFileParser(Map.of()).parse("r.yaml", routed).sinks();
        assertThat(sinks.actionTopic("alert")).isEqualTo("alerts");
        assertThat(sinks.actionTopic("watch")).isEqualTo("reflex.actions");
        assertThat(sinks.actionTopics()).containsExactly("reflex.actions", "alerts");
        assertThat(sinks.topicsByKey())
                .containsExactly(
                        Map.entry("reflex.actions", "sinks.actions-topic"),
                        Map.entry("alerts", "actions[alert].topic"),
                        Map.entry("reflex.dlq", "sinks.dead-letter-topic"),
                        Map.entry("audit", "sinks.audit-topic"),
                        Map.entry("state", "sinks.state-topic"));
        assertThat(sinks.stateInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(sinks.renamed(t -> t + ".bt", null).actionTopic("alert")).isEqualTo("alerts.bt");

        String clashing =
                MINIMAL.replace("  - type: alert", "  - {type: alert, topic: reflex.dlq}")
                        .replace("llm: {", "llm: {operator: stateless, ")
                        .replace(
                                "sinks: {bootstrap-servers: 'k:9092'}",
                                "sinks: {bootstrap-servers: 'k:9092', audit-topic: reflex.actions,"
                                        + " state-topic: s}");
        assertThat(problems(clashing))
                .containsExactlyInAnyOrder(
                        "sinks.dead-letter-topic: must differ from the topic of action type"
                                + " 'alert'",
                        "sinks.audit-topic: must differ from every other topic the job writes",
                        "sinks.audit-topic: needs llm.operator: agent (the stateless operator keeps"
                                + " no per-key state or request history)",
                        "sinks.state-topic: needs llm.operator: agent (the stateless operator keeps"
                                + " no per-key state or request history)");
    }

    @Test
    void paramsThatStrictStructuredOutputCannotSendAreWarnedAbout() throws Exception {
        String lengths =
                MINIMAL.replace(
                        "  - type: alert",
                        "  - {type: alert, params: {type: object, properties: {summary: {type:"
                                + " string, maxLength: 280}}, required: [summary],"
                                + " additionalProperties: false}}");
        JobFileParser parser = new JobFileParser(Map.of());
        JobFile job = parser.parse("w.yaml", lengths);
        assertThat(job.llm().structuredOutput()).isEqualTo("strict");
        assertThat(parser.warnings())
                .containsExactly(
                        "actions[0].params: llm.structured-output strict cannot send"
                                + " /properties/summary/maxLength; the model is not held to it,"
                                + " the local validation is (an answer that breaks it is"
                                + " repaired or dead-lettered)");

        parser.parse("s.yaml", lengths.replace("llm: {", "llm: {structured-output: schema, "));
        assertThat(parser.warnings()).as("sent as written").isEmpty();
        assertThat(problems(MINIMAL.replace("llm: {", "llm: {structured-output: json, ")))
                .containsExactly(
                        "llm.structured-output: expected strict, schema or json-object, was"
                                + " 'json'");
    }

    @Test
    void maxParallelismDefaultsTo128AndBoundsTheParallelism() throws Exception {
        assertThat(new JobFileParser(Map.of()).parse("ok.yaml", MINIMAL).maxParallelism())
                .isEqualTo(128);
        String tooWide =
                MINIMAL.replace(
                        "job: {name: j}", "job: {name: j, parallelism: 8, max-parallelism: 4}");
        assertThat(problems(tooWide))
                .containsExactly("job.parallelism: must not exceed max-parallelism (4)");
    }

    @Test
    void listsEveryProblemWithItsPath() {
        String yaml =
                String.join(
                        "\n",
                        "job: {name: 'bad name', parallelism: many, checkpoint-interval: soon}",
                        "sources:",
                        "  - {name: s, topics: [], key: symbol, starting-offsets: yesterday}",
                        "  - {name: s, bootstrap-servers: '${NOPE}', topics: [t], key: /k}",
                        "rules:",
                        "  - {id: r, type: change-pct, field: /p}",
                        "  - {id: r, type: match, field: /f, pattern: '(unclosed', sources: [ghost]}",
                        "  - {id: z, type: teleport}",
                        "  - {id: a, type: absence}",
                        "llm: {base-url: 'ftp://x', max-attempts: 0, temperature: 9, colour: blue,"
                                + " operator: magic, circuit-breaker: {failures: 0}}",
                        "actions:",
                        "  - {type: alert, params: {type: array}}",
                        "  - {type: alert}",
                        "sinks: {bootstrap-servers: k, delivery: maybe, transaction-timeout: 1h}",
                        "");
        assertThat(problems(yaml))
                .containsExactlyInAnyOrder(
                        "job.name: use letters, digits, '.', '_' and '-' only",
                        "job.parallelism: expected a whole number, was 'many'",
                        "job.checkpoint-interval: expected a duration such as 500ms, 10s, 5m, 2h or 1d,"
                                + " was 'soon'",
                        "sources[0].bootstrap-servers: required",
                        "sources[0].topics: at least one topic is required",
                        "sources[0].starting-offsets: expected earliest, latest or committed, was"
                                + " 'yesterday'",
                        "sources[0].key: expected a JSON pointer such as /symbol, was 'symbol'",
                        "sources[1].name: duplicate source name 's'",
                        "sources[1].bootstrap-servers: environment variable NOPE is not set and has no"
                                + " default (write ${NOPE:-default})",
                        "sources[1].bootstrap-servers: must not be empty",
                        "rules[0].window: required for a change-pct rule",
                        "rules[0].threshold-pct: required for a change-pct rule, above 0",
                        "rules[1].id: duplicate rule id 'r'",
                        "rules[1].sources: no source is named 'ghost'",
                        "rules[1].pattern: not a valid regular expression: Unclosed group",
                        "rules[2].type: expected change-pct, zscore, match or absence, was"
                                + " 'teleport'",
                        "rules[3].after: required for an absence rule",
                        "llm.colour: unknown key (known keys: "
                                + String.join(", ", JobFileSections.LLM.knownKeys())
                                + ")",
                        "llm.base-url: expected an http or https URL, was 'ftp://x'",
                        "llm.max-attempts: must be between 1 and 20, was 0",
                        "llm.temperature: must be between 0.0 and 2.0, was 9.0",
                        "llm.model: required",
                        "llm.operator: expected agent or stateless, was 'magic'",
                        "llm.circuit-breaker.failures: must be between 1 and 10000, was 0",
                        "actions[0].params: the params schema must have type: object",
                        "actions[1].type: duplicate action type 'alert'",
                        "sinks.delivery: expected exactly-once or at-least-once, was 'maybe'",
                        "sinks.transaction-timeout: must be at most 15m");
    }

    @Test
    void aKafkaSourcesWatermarkIdleTimeoutStillReadsUnderItsOldName() throws Exception {
        String src = "  - {name: s, bootstrap-servers: 'k:9092', topics: [t], key: /k}";
        JobFileParser parser = new JobFileParser(Map.of());
        JobFile.KafkaSourceSpec current =
                parser.parse(
                                "new.yaml",
                                MINIMAL.replace(
                                        src, src.replace("}", ", watermark-idle-timeout: 7s}")))
                        .sources()
                        .get(0);
        assertThat(current.idleTimeout()).isEqualTo(Duration.ofSeconds(7));
        JobFile.KafkaSourceSpec old =
                parser.parse(
                                "old.yaml",
                                MINIMAL.replace(src, src.replace("}", ", idle-timeout: 9s}")))
                        .sources()
                        .get(0);
        assertThat(old.idleTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(
                        problems(
                                MINIMAL.replace(
                                        src,
                                        src.replace(
                                                "}",
                                                ", idle-timeout: 9s, watermark-idle-timeout: 7s}"))))
                .containsExactly(
                        "sources[0].idle-timeout: give watermark-idle-timeout only; idle-timeout is"
                                + " its deprecated name");
    }

    @Test
    void refusesFilesThatAreNotYamlMappings() {
        assertThat(problems("- just\n- a list\n"))
                .containsExactly("expected a YAML mapping at the top");
        assertThat(problems("job: [\n")).singleElement().asString().startsWith("not valid YAML");
        assertThat(problems("")).containsExactly("expected a YAML mapping at the top");
    }

    @Test
    void reportsMissingSections() {
        assertThat(problems("job: {name: j}\n"))
                .contains(
                        "sources: at least one entry is required",
                        "rules: at least one entry is required",
                        "llm: required",
                        "actions: at least one entry is required",
                        "sinks: required");
    }

    @Test
    void webSocketSourcesAreValidated() {
        String yaml =
                MINIMAL.replace(
                        "sources:\n",
                        "sources:\n"
                                + "  - {name: w, type: websocket, urls: ['http://x'], key: /k,"
                                + " resume-url: 'ws://x?since={lastSeq}', reconnect: {give-up: sulk}}\n");
        assertThat(problems(yaml))
                .containsExactlyInAnyOrder(
                        "sources[0].urls: expected a ws:// or wss:// URL, was 'http://x'",
                        "sources[0].resume-url: needs sequence, the JSON pointer to each message's"
                                + " number",
                        "sources[0].reconnect.give-up: expected fail or keep-trying, was 'sulk'");
    }

    @Test
    void sourceLimitsAndTheDeadLetterBoundHaveDefaultsAndAreChecked() throws Exception {
        JobFile job = new JobFileParser(Map.of()).parse("ok.yaml", MINIMAL);
        assertThat(job.sinks().deadLetterMaxBytes()).isEqualTo(64 * 1024);
        assertThat(job.sources().get(0).decoding().maxKeyBytes()).isEqualTo(1024);
        assertThat(job.sources().get(0).decoding().maxTimeAheadMs()).isEqualTo(3_600_000L);

        JobFile custom =
                new JobFileParser(Map.of())
                        .parse(
                                "ok.yaml",
                                MINIMAL.replace(
                                                "key: /k}",
                                                "key: /k, max-key-bytes: 64, max-time-ahead: 5m}")
                                        .replace(
                                                "sinks: {bootstrap-servers: 'k:9092'}",
                                                "sinks: {bootstrap-servers: 'k:9092',"
                                                        + " dead-letter-max-bytes: 1000}"));
        assertThat(custom.sources().get(0).decoding().maxKeyBytes()).isEqualTo(64);
        assertThat(custom.sources().get(0).decoding().maxTimeAheadMs()).isEqualTo(300_000L);
        assertThat(custom.sinks().deadLetterMaxBytes()).isEqualTo(1000);

        // 1 MiB of raw bytes is 1.33 MiB of base64: more than the producer sends by default.
        assertThat(
                        problems(
                                MINIMAL.replace(
                                        "sinks: {bootstrap-servers: 'k:9092'}",
                                        "sinks: {bootstrap-servers: 'k:9092',"
                                                + " dead-letter-max-bytes: 1048576}")))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("sinks.dead-letter-max-bytes: a dead letter with 1048576 raw bytes")
                .endsWith("lower it, or raise properties.max.request.size");
    }

    @Test
    void aMisspeltKeyIsRefusedWithTheNearestKnownOne() {
        assertThat(problems(MINIMAL.replace("model: m}", "model: m, max-concurent: 8}")))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("llm.max-concurent: unknown key; did you mean max-concurrent? (known");
        assertThat(problems(MINIMAL.replace("job: {name: j}", "job: {name: j, colour: blue}")))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("job.colour: unknown key (known keys: buffer-timeout,");
    }

    @Test
    void aCostBudgetNeedsThePriceTableAndTheJournalCanBeTurnedOff() throws Exception {
        assertThat(problems(MINIMAL.replace("model: m}", "model: m, budget: {cost-per-day: 5}}")))
                .containsExactly(
                        "llm.budget.cost-per-day: needs llm.price.input-per-million or"
                                + " output-per-million to count the cost");
        JobFile job =
                new JobFileParser(Map.of())
                        .parse(
                                "ok.yaml",
                                MINIMAL.replace(
                                        "model: m}",
                                        "model: m, price: {input-per-million: 0.15},"
                                                + " budget: {cost-per-day: 5,"
                                                + " tokens-per-key-per-day: 20000},"
                                                + " journal: {enabled: false}}"));
        assertThat(job.budget().costPerDay()).isEqualTo(5.0);
        assertThat(job.budget().tokensPerKeyPerDay()).isEqualTo(20_000);
        assertThat(job.journal().enabled()).isFalse();
        assertThat(
                        problems(
                                MINIMAL.replace(
                                        "model: m}",
                                        "model: m, mode: replay, journal: {enabled: false}}")))
                .containsExactly(
                        "llm.mode: replay needs the journal; remove llm.journal.enabled: false");
        assertThat(new JobFileParser(Map.of()).parse("min.yaml", MINIMAL).journal().topic())
                .isEqualTo("reflex.llm-journal");
    }

    /**
     * Writes every key that has a default at that default, as the options render it, and parses the
     * file: no key is refused, and the result is the one the minimal file gets. So each option's
     * default, its written form and the parser's reading of it agree, and every key the docs list
     * is one the parser accepts.
     */
    @Test
    void writingEveryDefaultOutGivesWhatLeavingThemOutGives() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper yaml =
                new com.fasterxml.jackson.databind.ObjectMapper(
                        new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
        com.fasterxml.jackson.databind.node.ObjectNode root =
                (com.fasterxml.jackson.databind.node.ObjectNode) yaml.readTree(MINIMAL);
        fillDefaults(
                (com.fasterxml.jackson.databind.node.ObjectNode) root.get("job"),
                JobFileSections.JOB);
        fillDefaults(
                (com.fasterxml.jackson.databind.node.ObjectNode) root.get("sources").get(0),
                JobFileSections.KAFKA_SOURCE);
        fillDefaults(
                (com.fasterxml.jackson.databind.node.ObjectNode) root.get("rules").get(0),
                JobFileSections.RULE);
        fillDefaults(root.putObject("detector"), JobFileSections.DETECTOR);
        fillDefaults(
                (com.fasterxml.jackson.databind.node.ObjectNode) root.get("llm"),
                JobFileSections.LLM);
        fillDefaults(
                (com.fasterxml.jackson.databind.node.ObjectNode) root.get("sinks"),
                JobFileSections.SINKS);
        com.fasterxml.jackson.databind.node.ObjectNode llm =
                (com.fasterxml.jackson.databind.node.ObjectNode) root.get("llm");
        fillDefaults(llm.putObject("circuit-breaker"), JobFileSections.CIRCUIT_BREAKER);
        fillDefaults(llm.putObject("price"), JobFileSections.PRICE);
        fillDefaults(llm.putObject("budget"), JobFileSections.BUDGET);
        fillDefaults(llm.putObject("journal"), JobFileSections.JOURNAL);
        fillDefaults(llm.putObject("replay"), JobFileSections.REPLAY);
        String full = yaml.writeValueAsString(root);
        assertThat(full).contains("cache-write-delay: \"200ms\"", "input-per-million: \"0\"");

        JobFileParser parser = new JobFileParser(Map.of());
        JobFile minimal = parser.parse("min.yaml", MINIMAL);
        JobFile explicit = parser.parse("full.yaml", full);
        assertThat(explicit.parallelism()).isEqualTo(minimal.parallelism());
        assertThat(explicit.maxParallelism()).isEqualTo(minimal.maxParallelism());
        assertThat(explicit.checkpointInterval()).isEqualTo(minimal.checkpointInterval());
        assertThat(explicit.bufferTimeout()).isEqualTo(minimal.bufferTimeout());
        assertThat(explicit.sources()).isEqualTo(minimal.sources());
        assertThat(explicit.detector()).isEqualTo(minimal.detector());
        assertThat(explicit.llm()).isEqualTo(minimal.llm());
        assertThat(explicit.llmOperator()).isEqualTo(minimal.llmOperator());
        assertThat(explicit.agent()).isEqualTo(minimal.agent());
        assertThat(explicit.budget()).isEqualTo(minimal.budget());
        assertThat(explicit.journal()).isEqualTo(minimal.journal());
        assertThat(explicit.sinks()).isEqualTo(minimal.sinks());
    }

    @Test
    void aWebSocketSourceWithEveryDefaultWrittenOutReadsAsOneWithout() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper yaml =
                new com.fasterxml.jackson.databind.ObjectMapper(
                        new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
        String ws = "  - {name: w, type: websocket, urls: ['ws://127.0.0.1:1/f'], key: /k}\n";
        String bare = MINIMAL.replace("sources:\n", "sources:\n" + ws);
        com.fasterxml.jackson.databind.node.ObjectNode root =
                (com.fasterxml.jackson.databind.node.ObjectNode) yaml.readTree(bare);
        com.fasterxml.jackson.databind.node.ObjectNode source =
                (com.fasterxml.jackson.databind.node.ObjectNode) root.get("sources").get(0);
        fillDefaults(source, JobFileSections.WEBSOCKET_SOURCE);
        fillDefaults(source.putObject("reconnect"), JobFileSections.RECONNECT);

        JobFileParser parser = new JobFileParser(Map.of());
        JobFile.WebSocketSourceSpec implicit =
                parser.parse("ws.yaml", bare).webSocketSources().get(0);
        JobFile.WebSocketSourceSpec explicit =
                parser.parse("ws-full.yaml", yaml.writeValueAsString(root))
                        .webSocketSources()
                        .get(0);
        assertThat(explicit).usingRecursiveComparison().isEqualTo(implicit);
        assertThat(explicit.pingInterval())
                .isEqualTo(
                        io.reflex.connectors.websocket.WebSocketSourceOptions.PING_INTERVAL
                                .defaultValue());
    }

    /** Sets each option of {@code group} that has a default and is not set yet, as written text. */
    private static void fillDefaults(
            com.fasterxml.jackson.databind.node.ObjectNode node, OptionGroup group) {
        for (io.reflex.connectors.config.Option<?> o : group.options()) {
            Object d = o.defaultValue();
            if (d != null && !node.has(o.key())) {
                node.put(o.key(), io.reflex.connectors.config.Option.write(d));
            }
        }
    }
}
