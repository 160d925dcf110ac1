package io.reflex.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How the stub reads a chat request's {@code response_format}, as a strict provider would: which
 * mode it asks for, the schema the answer must follow, and, for {@code strict: true}, what such a
 * provider refuses in the schema. The checks are OpenAI's documented strict-mode rules (every
 * object closed, every property required, no {@code oneOf}/{@code allOf}) and the keywords that
 * some models refuse besides (string lengths and the like).
 */
final class ResponseFormats {
    private ResponseFormats() {}

    static final String STRICT = "strict";
    static final String SCHEMA = "schema";
    static final String JSON_OBJECT = "json-object";
    static final String NONE = "none";

    /**
     * Opens the schema in the system message in JSON mode; the same text as Reflex's client writes
     * ({@code OpenAiLlmClient.JSON_OBJECT_SCHEMA_MARKER}): the stub stands in for a model that
     * reads it.
     */
    static final String JSON_OBJECT_SCHEMA_MARKER = "JSON Schema of the answer:";

    private static final Set<String> REFUSED_IN_STRICT =
            Set.of(
                    "minLength",
                    "maxLength",
                    "oneOf",
                    "allOf",
                    "not",
                    "if",
                    "then",
                    "else",
                    "patternProperties",
                    "propertyNames",
                    "unevaluatedProperties",
                    "minProperties",
                    "maxProperties",
                    "uniqueItems",
                    "contains",
                    "prefixItems",
                    "dependentRequired",
                    "dependentSchemas");

    /** The mode {@code request} asks for. */
    static String mode(JsonNode request) {
        JsonNode f = request.path("response_format");
        switch (f.path("type").asText("")) {
            case "json_schema":
                return f.path("json_schema").path("strict").asBoolean(false) ? STRICT : SCHEMA;
            case "json_object":
                return JSON_OBJECT;
            default:
                return NONE;
        }
    }

    /**
     * The schema the answer must follow: the {@code json_schema}'s, or in JSON mode the one the
     * system message carries after {@link #JSON_OBJECT_SCHEMA_MARKER}; missing when there is none.
     */
    static JsonNode schema(JsonNode request, ObjectMapper mapper) {
        if (!JSON_OBJECT.equals(mode(request))) {
            return request.path("response_format").path("json_schema").path("schema");
        }
        for (JsonNode m : request.path("messages")) {
            String content = m.path("content").asText("");
            int at = content.indexOf(JSON_OBJECT_SCHEMA_MARKER);
            if ("system".equals(m.path("role").asText()) && at >= 0) {
                try {
                    return mapper.readTree(
                            content.substring(at + JSON_OBJECT_SCHEMA_MARKER.length()).trim());
                } catch (Exception e) {
                    return mapper.missingNode();
                }
            }
        }
        return mapper.missingNode();
    }

    /** What a strict provider refuses in {@code schema}, each with where; empty when none. */
    static List<String> strictProblems(JsonNode schema) {
        List<String> out = new ArrayList<>();
        check(schema, "", out);
        return out;
    }

    private static void check(JsonNode s, String at, List<String> out) {
        if (s.isArray()) {
            for (int i = 0; i < s.size(); i++) {
                check(s.get(i), at + "/" + i, out);
            }
            return;
        }
        if (!s.isObject()) {
            return;
        }
        s.fieldNames()
                .forEachRemaining(
                        k -> {
                            if (REFUSED_IN_STRICT.contains(k)) {
                                out.add("In context=" + at + ", '" + k + "' is not permitted.");
                            }
                        });
        JsonNode props = s.get("properties");
        boolean object = "object".equals(s.path("type").asText()) || props != null;
        if (object) {
            if (!s.path("additionalProperties").isBoolean()
                    || s.path("additionalProperties").asBoolean()) {
                out.add(
                        "In context="
                                + at
                                + ", 'additionalProperties' is required to be supplied and to be"
                                + " false.");
            }
            Set<String> required = new HashSet<>();
            s.path("required").forEach(r -> required.add(r.asText()));
            if (props != null) {
                props.fieldNames()
                        .forEachRemaining(
                                p -> {
                                    if (!required.contains(p)) {
                                        out.add(
                                                "In context="
                                                        + at
                                                        + ", 'required' is required to be"
                                                        + " supplied and to be an array including"
                                                        + " every key in properties. Missing '"
                                                        + p
                                                        + "'.");
                                    }
                                });
                props.fields()
                        .forEachRemaining(
                                p -> check(p.getValue(), at + "/properties/" + p.getKey(), out));
            }
        }
        for (String k : List.of("items", "anyOf", "$defs")) {
            JsonNode child = s.get(k);
            if (child == null) {
                continue;
            }
            if (k.equals("$defs")) {
                child.fields()
                        .forEachRemaining(
                                d -> check(d.getValue(), at + "/$defs/" + d.getKey(), out));
            } else {
                check(child, at + "/" + k, out);
            }
        }
    }
}
