package io.reflex.operators.llm;

import io.reflex.connectors.config.Option;
import java.io.Serializable;
import java.time.Duration;

/**
 * How to reach the LLM and how hard to try.
 *
 * @param baseUrl an OpenAI-compatible endpoint, ending in {@code /v1}
 * @param apiKey the API key; never logged, never printed
 * @param model the model name
 * @param attemptTimeout timeout of one attempt
 * @param maxAttempts attempts per request, the first included
 * @param initialBackoff delay before the first retry; doubled for each further one
 * @param maxBackoff upper bound of the delay between attempts
 * @param maxConcurrent requests in flight per subtask, and per client connection pool
 * @param systemPrompt the system prompt
 * @param promptTemplate the user prompt, with {@code {{key}}}, {@code {{rule}}}, {@code
 *     {{context}}} and {@code {{actions}}} placeholders
 * @param temperature sampling temperature
 * @param maxTokens upper bound of completion tokens
 * @param maxPromptTokens the prompt is trimmed to this many tokens, oldest context first
 * @param structuredOutput how the answer's schema is sent: {@link StructuredOutput#STRICT}, {@link
 *     StructuredOutput#SCHEMA} or {@link StructuredOutput#JSON_OBJECT}
 */
public record LlmOptions(
        String baseUrl,
        String apiKey,
        String model,
        Duration attemptTimeout,
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff,
        int maxConcurrent,
        String systemPrompt,
        String promptTemplate,
        double temperature,
        int maxTokens,
        int maxPromptTokens,
        String structuredOutput)
        implements Serializable {

    /** These options with {@code llm.structured-output} set to {@code mode}. */
    public LlmOptions withStructuredOutput(String mode) {
        return new LlmOptions(
                baseUrl,
                apiKey,
                model,
                attemptTimeout,
                maxAttempts,
                initialBackoff,
                maxBackoff,
                maxConcurrent,
                systemPrompt,
                promptTemplate,
                temperature,
                maxTokens,
                maxPromptTokens,
                mode);
    }

    public static final Option<String> STRUCTURED_OUTPUT =
            Option.key("structured-output")
                    .stringType()
                    .defaultValue(StructuredOutput.STRICT)
                    .withValues(
                            StructuredOutput.STRICT,
                            StructuredOutput.SCHEMA,
                            StructuredOutput.JSON_OBJECT)
                    .withDescription(
                            "`strict`: `json_schema` with `strict: true`, the schema projected onto"
                                    + " what strict providers accept (string lengths, `allOf` and"
                                    + " the like dropped, optional params sent nullable);"
                                    + " `schema`: `json_schema` as written, not strict;"
                                    + " `json-object`: JSON mode, the schema in the system"
                                    + " message. Answers are always validated against the full"
                                    + " schema");

    public static final String DEFAULT_SYSTEM_PROMPT =
            "You are the decision step of a real-time monitoring system. Given one significant"
                    + " event about one entity, choose the actions to take from the catalogue, or"
                    + " none. Be conservative: act only when the data supports it.";

    public static final String DEFAULT_PROMPT_TEMPLATE =
            "Entity: {{key}}\n"
                    + "Rule that fired: {{rule}}\n\n"
                    + "Available actions:\n{{actions}}\n"
                    + "Event data follows.\n{{context}}\n\n"
                    + "Answer with JSON that matches the schema. Use an empty actions list when no"
                    + " action is warranted.";

    public static final Option<String> BASE_URL =
            Option.key("base-url")
                    .stringType()
                    .required()
                    .withDescription(
                            "an OpenAI-compatible endpoint ending in `/v1` (OpenAI, Azure, vLLM,"
                                    + " Ollama, the stub)");

    public static final Option<String> API_KEY =
            Option.key("api-key")
                    .stringType()
                    .noDefaultValue()
                    .withDefaultText("none")
                    .withDescription("never logged; use `${OPENAI_API_KEY}` or `api-key-file`");

    public static final Option<String> API_KEY_FILE =
            Option.key("api-key-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("a file holding the API key; it wins over `api-key`");

    public static final Option<String> MODEL =
            Option.key("model").stringType().required().withDescription("the model's name");

    public static final Option<Duration> TIMEOUT =
            Option.key("timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("per attempt");

    public static final Option<Integer> MAX_ATTEMPTS =
            Option.key("max-attempts")
                    .intType()
                    .defaultValue(4)
                    .between(1, 20)
                    .withDescription("attempts per request, the first included");

    public static final Option<Duration> INITIAL_BACKOFF =
            Option.key("initial-backoff")
                    .durationType()
                    .defaultValue(Duration.ofMillis(500))
                    .withDescription(
                            "the ceiling of the first retry's wait, doubled for each further one;"
                                    + " the wait is drawn below it (full jitter), and a"
                                    + " `Retry-After` is honoured");

    public static final Option<Duration> MAX_BACKOFF =
            Option.key("max-backoff")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "the largest ceiling of a retry's wait; not below `initial-backoff`");

    public static final Option<Integer> MAX_CONCURRENT =
            Option.key("max-concurrent")
                    .intType()
                    .defaultValue(64)
                    .between(1, 4096)
                    .withDescription(
                            "requests in flight per subtask: each subtask has its own HTTP"
                                    + " dispatcher, on a connection pool shared per TaskManager and"
                                    + " endpoint; at this many the agent holds back input");

    public static final Option<String> SYSTEM_PROMPT =
            Option.key("system-prompt")
                    .stringType()
                    .defaultValue(DEFAULT_SYSTEM_PROMPT)
                    .withDefaultText("a generic one")
                    .withDescription("the system message of every request");

    public static final Option<String> PROMPT_TEMPLATE =
            Option.key("prompt-template")
                    .stringType()
                    .defaultValue(DEFAULT_PROMPT_TEMPLATE)
                    .withDefaultText("a generic one")
                    .withDescription(
                            "the user message, with placeholders `{{key}}`, `{{rule}}`,"
                                    + " `{{actions}}`, `{{context}}` (required)");

    public static final Option<Double> TEMPERATURE =
            Option.key("temperature")
                    .doubleType()
                    .defaultValue(0.2)
                    .between(0.0, 2.0)
                    .withDescription("sampling temperature");

    public static final Option<Integer> MAX_TOKENS =
            Option.key("max-tokens")
                    .intType()
                    .defaultValue(512)
                    .between(1, 128_000)
                    .withDescription("completion tokens per answer, at most");

    public static final Option<Integer> MAX_PROMPT_TOKENS =
            Option.key("max-prompt-tokens")
                    .intType()
                    .defaultValue(4000)
                    .between(200, 1_000_000)
                    .withDescription(
                            "the prompt is trimmed to this many tokens (counted with jtokkit,"
                                    + " `o200k_base`): oldest context first");

    /**
     * The whole time a request may take across its attempts and backoffs, used as the async
     * operator's timeout.
     */
    public Duration requestDeadline() {
        return attemptTimeout
                .multipliedBy(maxAttempts)
                .plus(maxBackoff.multipliedBy(Math.max(0, maxAttempts - 1)))
                .plusSeconds(5);
    }

    @Override
    public String toString() {
        return "LlmOptions[baseUrl="
                + baseUrl
                + ", model="
                + model
                + ", apiKey=***"
                + ", attemptTimeout="
                + attemptTimeout
                + ", maxAttempts="
                + maxAttempts
                + ", maxConcurrent="
                + maxConcurrent
                + "]";
    }
}
