package io.reflex.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;

/**
 * Builds a JSON instance that conforms to a JSON Schema: types, {@code enum}, {@code const},
 * required and optional properties, arrays with {@code minItems}/{@code maxItems}, numeric and
 * length bounds, and {@code anyOf}/{@code oneOf} (one branch, chosen by the seed). The same schema
 * and seed always give the same instance.
 *
 * <p>It covers the subset of JSON Schema that structured-output schemas use; {@code $ref} within
 * {@code $defs} is followed.
 */
public final class SchemaInstanceGenerator {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final int MAX_DEPTH = 16;

    private final JsonNode root;
    private final Random random;

    private SchemaInstanceGenerator(JsonNode root, long seed) {
        this.root = root;
        this.random = new Random(seed);
    }

    /** A conforming instance of {@code schema}, deterministic for {@code seed}. */
    public static JsonNode generate(JsonNode schema, long seed) {
        return new SchemaInstanceGenerator(schema, seed).instance(schema, "value", 0);
    }

    /**
     * An instance that violates {@code schema}: a conforming one with its first required property
     * removed, or a value of the wrong type.
     */
    public static JsonNode violate(JsonNode schema, long seed) {
        JsonNode ok = generate(schema, seed);
        JsonNode required = schema.path("required");
        if (ok.isObject() && required.isArray() && required.size() > 0) {
            ((ObjectNode) ok).remove(required.get(0).asText());
            return ok;
        }
        return ok.isTextual() ? F.numberNode(42) : F.textNode("not what the schema asks for");
    }

    private JsonNode instance(JsonNode schema, String name, int depth) {
        if (depth > MAX_DEPTH || schema == null || schema.isMissingNode()) {
            return F.nullNode();
        }
        if (schema.has("$ref")) {
            return instance(resolve(schema.get("$ref").asText()), name, depth + 1);
        }
        if (schema.has("const")) {
            return schema.get("const").deepCopy();
        }
        if (schema.has("enum") && schema.get("enum").size() > 0) {
            JsonNode values = schema.get("enum");
            return values.get(random.nextInt(values.size())).deepCopy();
        }
        for (String combinator : new String[] {"anyOf", "oneOf"}) {
            JsonNode branches = schema.get(combinator);
            if (branches != null && branches.isArray() && branches.size() > 0) {
                JsonNode branch = branches.get(random.nextInt(branches.size()));
                return instance(branch, name, depth + 1);
            }
        }
        // allOf beside the schema's own type or properties: those describe the instance (the
        // generator fills every property, so added requirements hold); alone, its first branch.
        if (schema.has("allOf")
                && schema.get("allOf").size() > 0
                && !schema.has("type")
                && !schema.has("properties")) {
            return instance(schema.get("allOf").get(0), name, depth + 1);
        }
        String type = type(schema);
        switch (type) {
            case "object":
                return object(schema, depth);
            case "array":
                return array(schema, name, depth);
            case "string":
                return string(schema, name);
            case "integer":
                return F.numberNode((long) number(schema, true));
            case "number":
                return F.numberNode(number(schema, false));
            case "boolean":
                return F.booleanNode(random.nextBoolean());
            case "null":
                return F.nullNode();
            default:
                return F.nullNode();
        }
    }

    private String type(JsonNode schema) {
        JsonNode t = schema.get("type");
        if (t == null) {
            return schema.has("properties") ? "object" : schema.has("items") ? "array" : "string";
        }
        if (t.isArray()) {
            for (JsonNode each : t) {
                if (!"null".equals(each.asText())) {
                    return each.asText();
                }
            }
            return "null";
        }
        return t.asText();
    }

    private ObjectNode object(JsonNode schema, int depth) {
        ObjectNode out = F.objectNode();
        JsonNode props = schema.path("properties");
        Iterator<Map.Entry<String, JsonNode>> it = props.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> p = it.next();
            out.set(p.getKey(), instance(p.getValue(), p.getKey(), depth + 1));
        }
        return out;
    }

    private ArrayNode array(JsonNode schema, String name, int depth) {
        ArrayNode out = F.arrayNode();
        int min = schema.path("minItems").asInt(0);
        int max = schema.path("maxItems").asInt(Integer.MAX_VALUE);
        int n = Math.min(Math.max(min, 1), max);
        for (int i = 0; i < n; i++) {
            out.add(instance(schema.path("items"), name, depth + 1));
        }
        return out;
    }

    private JsonNode string(JsonNode schema, String name) {
        int min = schema.path("minLength").asInt(0);
        int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
        StringBuilder s = new StringBuilder("stub " + name + " " + random.nextInt(1000));
        while (s.length() < min) {
            s.append('x');
        }
        if (s.length() > max) {
            s.setLength(max);
        }
        return F.textNode(s.toString());
    }

    private double number(JsonNode schema, boolean integer) {
        double lo = schema.has("minimum") ? schema.get("minimum").asDouble() : 0;
        double hi = schema.has("maximum") ? schema.get("maximum").asDouble() : lo + 100;
        if (schema.has("exclusiveMinimum")) {
            lo = schema.get("exclusiveMinimum").asDouble() + (integer ? 1 : 1e-6);
        }
        if (schema.has("exclusiveMaximum")) {
            hi = schema.get("exclusiveMaximum").asDouble() - (integer ? 1 : 1e-6);
        }
        if (hi < lo) {
            hi = lo;
        }
        double v = lo + random.nextDouble() * (hi - lo);
        return integer ? Math.ceil(v) > hi ? Math.floor(v) : Math.ceil(v) : v;
    }

    private JsonNode resolve(String ref) {
        if (!ref.startsWith("#")) {
            return F.objectNode();
        }
        return root.at(ref.substring(1));
    }
}
