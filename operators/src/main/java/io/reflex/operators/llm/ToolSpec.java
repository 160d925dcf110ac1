package io.reflex.operators.llm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A function the model may call.
 *
 * @param name the function's name
 * @param description what it returns
 * @param parameters the JSON Schema of its arguments
 */
public record ToolSpec(String name, String description, JsonNode parameters) {}
