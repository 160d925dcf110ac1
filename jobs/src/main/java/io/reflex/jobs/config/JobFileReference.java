package io.reflex.jobs.config;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.connectors.config.Durations;
import io.reflex.connectors.config.Option;
import io.reflex.operators.model.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The job file's reference, rendered from {@link JobFileOptions}: the README's key tables and the
 * JSON Schema published as {@code docs/job.schema.json}, which editors use to complete and check
 * job files. A test compares both with the committed files, so neither drifts from the options.
 */
public final class JobFileReference {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** The README's markers around each table, by table name. */
    public static final String BEGIN = "<!-- generated from JobFileOptions: ";

    public static final String END = "<!-- end of generated table -->";

    private JobFileReference() {}

    /** The tables of the README, by name: {@code job-file} and {@code websocket-source}. */
    public static Map<String, String> readmeTables() {
        StringBuilder main = header();
        for (Map.Entry<String, OptionGroup> e : JobFileSections.TOP.entrySet()) {
            rows(main, e.getValue(), List.of());
        }
        StringBuilder ws = header();
        rows(
                ws,
                JobFileSections.WEBSOCKET_SOURCE,
                JobFileSections.KAFKA_SOURCE.options().stream().map(Option::key).toList());
        return Map.of("job-file", main.toString(), "websocket-source", ws.toString());
    }

    /** {@code text} with each generated table between its markers replaced by the current one. */
    public static String withTables(String text) {
        String out = text;
        for (Map.Entry<String, String> t : readmeTables().entrySet()) {
            String begin = BEGIN + t.getKey() + " -->\n";
            int from = out.indexOf(begin);
            int to = from < 0 ? -1 : out.indexOf(END, from);
            if (from < 0 || to < 0) {
                throw new IllegalArgumentException("no generated table '" + t.getKey() + "'");
            }
            out = out.substring(0, from + begin.length()) + t.getValue() + out.substring(to);
        }
        return out;
    }

    private static StringBuilder header() {
        return new StringBuilder("| key | default | meaning |\n| --- | --- | --- |\n");
    }

    private static void rows(StringBuilder out, OptionGroup group, List<String> skip) {
        for (Option<?> o : group.options()) {
            if (skip.contains(o.key())) {
                continue;
            }
            out.append("| `")
                    .append(group.path())
                    .append('.')
                    .append(o.key())
                    .append("` | ")
                    .append(o.defaultText())
                    .append(" | ")
                    .append(o.description().replace("|", "\\|"))
                    .append(bounds(o))
                    .append(" |\n");
        }
        for (OptionGroup nested : group.sections().values()) {
            rows(out, nested, List.of());
        }
    }

    /** {@code " (1 to 20)"}, {@code " (at least 100ms)"}, or empty when the value is unbounded. */
    private static String bounds(Option<?> o) {
        Object min = o.min();
        Object max = o.max();
        if (max instanceof Long && (Long) max == Long.MAX_VALUE) {
            max = null;
        }
        if (min == null && max == null) {
            return "";
        }
        if (min == null) {
            return " (at most " + Option.write(max) + ")";
        }
        if (max == null) {
            return " (at least " + Option.write(min) + ")";
        }
        return " (" + Option.write(min) + " to " + Option.write(max) + ")";
    }

    /** The JSON Schema (draft 2020-12) of a job file, as pretty-printed JSON. */
    public static String jsonSchema() {
        ObjectNode schema = F.objectNode();
        schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        schema.put("$id", "https://reflex.invalid/job.schema.json");
        schema.put("title", "Reflex job file");
        schema.put(
                "description",
                "One deployment of the Reflex pipeline. Generated from JobFileOptions; the README's"
                        + " tables describe every key.");
        schema.put("type", "object");
        ObjectNode defs = schema.putObject("$defs");
        defs.putObject("variable")
                .put("description", "${VAR} or ${VAR:-default}, replaced from the environment")
                .put("type", "string")
                .put("pattern", "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}");
        defs.putObject("duration")
                .put("description", "500ms, 10s, 5m, 2h or 1d")
                .put("type", "string")
                .put("pattern", "^" + Durations.REGEX + "$");
        defs.set("kafkaSource", object(JobFileSections.KAFKA_SOURCE));
        defs.set("webSocketSource", object(JobFileSections.WEBSOCKET_SOURCE));

        ObjectNode properties = schema.putObject("properties");
        ArrayNode required = schema.putArray("required");
        for (Map.Entry<String, OptionGroup> e : JobFileSections.TOP.entrySet()) {
            String key = e.getKey();
            if (!key.equals("detector")) {
                required.add(key);
            }
            if (key.equals("sources")) {
                ObjectNode items = F.objectNode();
                ObjectNode webSocket = items.putObject("if");
                webSocket
                        .putObject("properties")
                        .putObject("type")
                        .put("const", JobFileOptions.WEBSOCKET);
                webSocket.putArray("required").add("type");
                items.putObject("then").put("$ref", "#/$defs/webSocketSource");
                items.putObject("else").put("$ref", "#/$defs/kafkaSource");
                properties.set("sources", list(items));
            } else if (e.getValue().path().endsWith("[]")) {
                properties.set(key, list(object(e.getValue())));
            } else {
                properties.set(key, object(e.getValue()));
            }
        }
        schema.put("additionalProperties", false);
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(schema) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode list(ObjectNode items) {
        ObjectNode list = F.objectNode().put("type", "array").put("minItems", 1);
        list.set("items", items);
        return list;
    }

    private static ObjectNode object(OptionGroup group) {
        ObjectNode node = F.objectNode().put("type", "object");
        ObjectNode properties = node.putObject("properties");
        ArrayNode required = F.arrayNode();
        for (Option<?> o : group.options()) {
            properties.set(o.key(), property(o));
            for (String old : o.deprecatedKeys()) {
                properties.set(
                        old,
                        property(o).put("deprecated", true).put("description", "use " + o.key()));
            }
            if (o.isRequired()) {
                required.add(o.key());
            }
        }
        for (Map.Entry<String, OptionGroup> nested : group.sections().entrySet()) {
            properties.set(nested.getKey(), object(nested.getValue()));
        }
        if (!required.isEmpty()) {
            node.set("required", required);
        }
        node.put("additionalProperties", false);
        return node;
    }

    /** One key's schema: its type, bounds and values, or a ${VAR} to be replaced. */
    private static ObjectNode property(Option<?> o) {
        ObjectNode value = F.objectNode();
        switch (o.type()) {
            case TEXT:
                value.put("type", "string");
                if (!o.values().isEmpty()) {
                    ArrayNode values = value.putArray("enum");
                    o.values().forEach(values::add);
                }
                break;
            case POINTER:
                value.put("type", "string").put("pattern", "^/");
                break;
            case INTEGER:
            case LONG:
                value.put("type", "integer");
                if (o.min() != null) {
                    value.put("minimum", ((Number) o.min()).longValue());
                }
                if (o.max() != null) {
                    value.put("maximum", ((Number) o.max()).longValue());
                }
                break;
            case DECIMAL:
                value.put("type", "number");
                if (o.min() != null) {
                    value.put("minimum", (Double) o.min());
                }
                if (o.max() != null) {
                    value.put("maximum", (Double) o.max());
                }
                break;
            case BOOLEAN:
                value.put("type", "boolean");
                break;
            case DURATION:
                value.put("$ref", "#/$defs/duration");
                break;
            case TEXT_LIST:
                value.putArray("type").add("array").add("string");
                value.putObject("items").put("type", "string");
                break;
            case TEXT_MAP:
                value.put("type", "object")
                        .putObject("additionalProperties")
                        .putArray("type")
                        .add("string")
                        .add("number")
                        .add("boolean");
                break;
            case JSON_SCHEMA:
                value.put("type", "object");
                break;
            default:
                throw new IllegalStateException("unhandled type " + o.type());
        }
        ObjectNode p = F.objectNode();
        p.put("description", o.description().replace("`", ""));
        if (o.defaultValue() != null && !(o.defaultValue() instanceof List)) {
            Object d = o.defaultValue();
            if (d instanceof Duration) {
                p.put("default", Durations.format((Duration) d));
            } else {
                p.set("default", Json.MAPPER.valueToTree(d));
            }
        }
        if (o.type() == Option.Type.TEXT && o.values().isEmpty()) {
            p.setAll(value); // a ${VAR} is text already
            return p;
        }
        p.putArray("anyOf").add(value).add(F.objectNode().put("$ref", "#/$defs/variable"));
        return p;
    }
}
