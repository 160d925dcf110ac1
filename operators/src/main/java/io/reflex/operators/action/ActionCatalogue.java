package io.reflex.operators.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.model.Json;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The action types the LLM may choose from, each with a description and a JSON Schema for its
 * parameters. The response schema sent to the LLM and the local validation are both built from it,
 * so a type outside the catalogue can never be emitted.
 */
public final class ActionCatalogue implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Upper bound of actions in one answer. */
    public static final int MAX_ACTIONS_PER_ANSWER = 8;

    /** Upper bound of the {@code reason} text. */
    public static final int MAX_REASON_CHARS = 500;

    /** One action type. */
    public record ActionType(String name, String description, String paramsSchema)
            implements Serializable {}

    private final LinkedHashMap<String, ActionType> types;

    public ActionCatalogue(Map<String, ActionType> types) {
        this.types = new LinkedHashMap<>(types);
    }

    public Map<String, ActionType> types() {
        return types;
    }

    public boolean contains(String type) {
        return types.containsKey(type);
    }

    /**
     * The JSON Schema of an answer: {@code {"actions":[{"type","params","reason"}]}}, with one
     * {@code anyOf} branch per action type, and with {@code withMemory} a {@code memory} string of
     * at most {@code memoryMaxChars} that the keyed agent keeps for the key. Every object is closed
     * and lists all its properties as required, as strict structured output asks.
     */
    public ObjectNode responseSchema(boolean withMemory, int memoryMaxChars) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("type", "object");
        ObjectNode props = root.putObject("properties");
        ObjectNode actions = props.putObject("actions");
        actions.put("type", "array");
        actions.put("maxItems", MAX_ACTIONS_PER_ANSWER);
        ArrayNode branches = actions.putObject("items").putArray("anyOf");
        for (ActionType t : types.values()) {
            ObjectNode b = branches.addObject();
            b.put("type", "object");
            ObjectNode bp = b.putObject("properties");
            ObjectNode type = bp.putObject("type");
            type.put("type", "string");
            type.putArray("enum").add(t.name());
            if (t.description() != null) {
                type.put("description", t.description());
            }
            bp.set("params", parse(t.paramsSchema()));
            ObjectNode reason = bp.putObject("reason");
            reason.put("type", "string");
            reason.put("maxLength", MAX_REASON_CHARS);
            b.putArray("required").add("type").add("params").add("reason");
            b.put("additionalProperties", false);
        }
        ArrayNode required = root.putArray("required").add("actions");
        if (withMemory) {
            ObjectNode memory = props.putObject("memory");
            memory.put("type", "string");
            memory.put("maxLength", memoryMaxChars);
            memory.put(
                    "description",
                    "A short note to yourself about this entity, replacing the"
                            + " previous one. Keep what will help the next decision.");
            required.add("memory");
        }
        root.put("additionalProperties", false);
        return root;
    }

    /** A short listing of the types for the prompt. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        for (ActionType t : types.values()) {
            s.append("- ").append(t.name());
            if (t.description() != null && !t.description().isBlank()) {
                s.append(": ").append(t.description());
            }
            s.append('\n');
        }
        return s.toString();
    }

    private static JsonNode parse(String schema) {
        try {
            return Json.MAPPER.readTree(schema);
        } catch (IOException e) {
            throw new UncheckedIOException("invalid params schema: " + e.getMessage(), e);
        }
    }
}
