package io.reflex.operators.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.model.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How the answer's JSON Schema is sent to the endpoint ({@code llm.structured-output}), and the
 * provider-safe projection that strict mode sends.
 *
 * <ul>
 *   <li>{@link #STRICT}: {@code response_format} {@code json_schema} with {@code strict: true}, and
 *       the schema projected onto what strict providers accept ({@link #strict}).
 *   <li>{@link #SCHEMA}: {@code json_schema} without {@code strict}: the schema as written, a hint
 *       that the endpoint may enforce or not.
 *   <li>{@link #JSON_OBJECT}: {@code json_object} (JSON mode), for servers that support nothing
 *       more; the schema goes into the system message.
 * </ul>
 *
 * Whatever the mode, every answer is validated locally against the full schema of the job file.
 */
public final class StructuredOutput {
    public static final String STRICT = "strict";
    public static final String SCHEMA = "schema";
    public static final String JSON_OBJECT = "json-object";

    private StructuredOutput() {}

    /**
     * Keywords that strict structured output rejects (OpenAI's documented restrictions, and those
     * some other providers add): dropped by {@link #strict}, with what they said moved into the
     * description where it is a bound the model can read.
     */
    static final Set<String> UNSUPPORTED =
            Set.of(
                    "minLength",
                    "maxLength",
                    "allOf",
                    "not",
                    "if",
                    "then",
                    "else",
                    "dependentRequired",
                    "dependentSchemas",
                    "patternProperties",
                    "propertyNames",
                    "unevaluatedProperties",
                    "unevaluatedItems",
                    "minProperties",
                    "maxProperties",
                    "uniqueItems",
                    "contains",
                    "minContains",
                    "maxContains",
                    "prefixItems",
                    "default",
                    "examples");

    /**
     * The provider-safe projection of {@code schema}, as strict mode needs it: every object closed
     * ({@code additionalProperties: false}) with every property required, an optional property made
     * nullable instead (its {@code null} then reads as absent, see {@link #dropNullOptionals}),
     * {@code oneOf} sent as {@code anyOf}, and the {@link #UNSUPPORTED} keywords dropped; a dropped
     * string-length bound is written into the description. {@code schema} is not changed.
     */
    public static ObjectNode strict(JsonNode schema) {
        return (ObjectNode) project(schema);
    }

    private static JsonNode project(JsonNode node) {
        if (!node.isObject()) {
            return node.deepCopy();
        }
        ObjectNode in = (ObjectNode) node;
        ObjectNode out = Json.MAPPER.createObjectNode();
        List<String> bounds = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = in.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String k = f.getKey();
            JsonNode v = f.getValue();
            if (k.equals("minLength")) {
                bounds.add("at least " + v.asInt() + " characters");
            } else if (k.equals("maxLength")) {
                bounds.add("at most " + v.asInt() + " characters");
            } else if (UNSUPPORTED.contains(k)) {
                continue;
            } else if (k.equals("properties") && v.isObject()) {
                ObjectNode props = out.putObject("properties");
                Set<String> required = names(in.get("required"));
                v.fields()
                        .forEachRemaining(
                                p -> {
                                    JsonNode projected = project(p.getValue());
                                    props.set(
                                            p.getKey(),
                                            required.contains(p.getKey())
                                                    ? projected
                                                    : nullable(projected));
                                });
            } else if (k.equals("required")) {
                continue; // rewritten below: every property
            } else if (k.equals("oneOf") || k.equals("anyOf")) {
                ArrayNode branches = out.withArray("anyOf");
                v.forEach(b -> branches.add(project(b)));
            } else if (k.equals("items") || k.equals("additionalItems")) {
                out.set(k, project(v));
            } else if (k.equals("$defs") || k.equals("definitions")) {
                ObjectNode defs = out.putObject(k);
                v.fields().forEachRemaining(d -> defs.set(d.getKey(), project(d.getValue())));
            } else {
                out.set(k, v.deepCopy());
            }
        }
        if (isObject(in)) {
            ArrayNode required = out.putArray("required");
            out.path("properties").fieldNames().forEachRemaining(required::add);
            out.put("additionalProperties", false);
            if (!out.has("properties")) {
                out.putObject("properties");
            }
        }
        if (!bounds.isEmpty()) {
            String d = out.path("description").asText("");
            out.put(
                    "description",
                    (d.isEmpty() ? "" : d + " ") + "(" + String.join(", ", bounds) + ")");
        }
        return out;
    }

    private static boolean isObject(JsonNode schema) {
        JsonNode t = schema.get("type");
        return (t != null && t.isTextual() && t.asText().equals("object"))
                || (t == null && schema.has("properties"));
    }

    /** {@code schema} that also admits null: a type list with "null", or an anyOf branch. */
    private static JsonNode nullable(JsonNode schema) {
        if (!schema.isObject()) {
            return schema;
        }
        ObjectNode s = (ObjectNode) schema;
        JsonNode t = s.get("type");
        if (t != null && t.isTextual() && !s.has("enum") && !s.has("anyOf")) {
            ArrayNode types = Json.MAPPER.createArrayNode().add(t.asText()).add("null");
            s.set("type", types);
            return s;
        }
        ObjectNode wrapped = Json.MAPPER.createObjectNode();
        ArrayNode any = wrapped.putArray("anyOf");
        any.add(s);
        any.addObject().put("type", "null");
        return wrapped;
    }

    private static Set<String> names(JsonNode array) {
        java.util.HashSet<String> out = new java.util.HashSet<>();
        if (array != null && array.isArray()) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    /**
     * What strict mode cannot say exactly about {@code schema}: each keyword that {@link #strict}
     * drops or weakens, with its path; empty when the projection is exact (apart from optional
     * properties, which it keeps exact through {@link #dropNullOptionals}).
     */
    public static List<String> inexact(JsonNode schema) {
        List<String> out = new ArrayList<>();
        inexact(schema, "", out);
        return out;
    }

    private static void inexact(JsonNode node, String at, List<String> out) {
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                inexact(node.get(i), at + "/" + i, out);
            }
            return;
        }
        if (!node.isObject()) {
            return;
        }
        node.fields()
                .forEachRemaining(
                        f -> {
                            String k = f.getKey();
                            if (UNSUPPORTED.contains(k)
                                    && !k.equals("default")
                                    && !k.equals("examples")) {
                                out.add(at + "/" + k);
                            } else if (k.equals("oneOf")) {
                                out.add(at + "/oneOf (sent as anyOf)");
                            }
                            if (k.equals("properties")
                                    || k.equals("$defs")
                                    || k.equals("definitions")) {
                                f.getValue()
                                        .fields()
                                        .forEachRemaining(
                                                p ->
                                                        inexact(
                                                                p.getValue(),
                                                                at + "/" + k + "/" + p.getKey(),
                                                                out));
                            } else if (f.getValue().isContainerNode()
                                    && !k.equals("enum")
                                    && !k.equals("const")
                                    && !k.equals("required")
                                    && !k.equals("examples")
                                    && !k.equals("default")) {
                                inexact(f.getValue(), at + "/" + k, out);
                            }
                        });
    }

    /**
     * {@code value} with the {@code null} members removed where {@code schema} does not require
     * them: an answer to the {@link #strict} projection says "absent" with {@code null}. Recurses
     * into the properties the schema describes; changes {@code value} in place.
     */
    public static void dropNullOptionals(JsonNode value, JsonNode schema) {
        if (!value.isObject() || schema == null || !schema.isObject()) {
            return;
        }
        ObjectNode v = (ObjectNode) value;
        JsonNode props = schema.path("properties");
        Set<String> required = names(schema.get("required"));
        List<String> drop = new ArrayList<>();
        v.fields()
                .forEachRemaining(
                        f -> {
                            if (f.getValue().isNull() && !required.contains(f.getKey())) {
                                drop.add(f.getKey());
                            } else if (props.has(f.getKey())) {
                                dropNullOptionals(f.getValue(), props.get(f.getKey()));
                            }
                        });
        v.remove(drop);
    }
}
