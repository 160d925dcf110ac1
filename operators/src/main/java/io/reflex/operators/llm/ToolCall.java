package io.reflex.operators.llm;

/**
 * A function call the model asked for.
 *
 * @param id the call's id, echoed in the tool message that answers it
 * @param name the function
 * @param arguments the arguments, as a JSON object in text
 */
public record ToolCall(String id, String name, String arguments) {}
