package io.reflex.operators.llm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One chat-completion request with a structured-output schema.
 *
 * @param requestId deterministic request id
 * @param system the system message
 * @param user the user message
 * @param schemaName the name of the response schema
 * @param schema the JSON Schema the answer must follow
 */
public record LlmRequest(
        String requestId, String system, String user, String schemaName, JsonNode schema) {}
