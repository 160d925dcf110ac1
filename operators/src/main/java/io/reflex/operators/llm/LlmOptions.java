package io.reflex.operators.llm;

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
        int maxPromptTokens)
        implements Serializable {

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
