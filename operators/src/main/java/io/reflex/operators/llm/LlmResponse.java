package io.reflex.operators.llm;

/**
 * The answer to an {@link LlmRequest}.
 *
 * @param content the message content
 * @param model the model that answered
 * @param promptTokens prompt tokens, as reported by the endpoint
 * @param completionTokens completion tokens, as reported by the endpoint
 * @param latencyMs time from send to answer
 */
public record LlmResponse(
        String content, String model, long promptTokens, long completionTokens, long latencyMs) {}
