package io.reflex.operators.llm;

import java.util.List;

/**
 * The answer to an {@link LlmRequest}.
 *
 * @param content the message content, or null when the model only calls tools
 * @param toolCalls the tools the model asks to call; empty for a final answer
 * @param model the model that answered
 * @param promptTokens prompt tokens, as reported by the endpoint
 * @param completionTokens completion tokens, as reported by the endpoint
 * @param latencyMs time from send to answer
 * @param rateLimits the provider's quota figures sent with the answer, or null
 */
public record LlmResponse(
        String content,
        List<ToolCall> toolCalls,
        String model,
        long promptTokens,
        long completionTokens,
        long latencyMs,
        RateLimits rateLimits) {

    public boolean callsTools() {
        return toolCalls != null && !toolCalls.isEmpty();
    }
}
