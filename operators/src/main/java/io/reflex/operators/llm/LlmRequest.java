package io.reflex.operators.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One chat-completion request with a structured-output schema.
 *
 * @param requestId deterministic request id
 * @param messages the conversation so far
 * @param schemaName the name of the response schema
 * @param schema the JSON Schema the answer must follow
 * @param tools functions the model may call; empty for none
 */
public record LlmRequest(
        String requestId,
        List<ChatMessage> messages,
        String schemaName,
        JsonNode schema,
        List<ToolSpec> tools) {}
