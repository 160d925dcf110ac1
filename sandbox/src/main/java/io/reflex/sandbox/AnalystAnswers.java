package io.reflex.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stub's "analyst": answers that follow from the prompt, as a careful analyst's would, instead
 * of random schema instances. It reads what Reflex's prompt carries (the entity, each trigger's
 * rule and its figures: the change in percent over the window, the z-score against the mean, the
 * words a headline matched, the recent events, and the memory note of earlier decisions) and
 * decides:
 *
 * <ul>
 *   <li>a move of 5% or more, a z-score of 8 or more, or an alarming headline: the most urgent
 *       action in the catalogue ({@code alert} high, or {@code escalate} once the memory shows an
 *       earlier alert); a smaller move or spike: {@code watch};
 *   <li>a second small move within the memory of one already watched: no action;
 *   <li>an upstream decision as the event (a chained agent): opens a case for a high urgency, and
 *       closes a low one.
 * </ul>
 *
 * Its reasons name the numbers and the words they follow from ({@code "ACME fell 6.2% in 60 s
 * (100.00 to 93.80)"}). Every answer conforms to the request's schema: the params are filled from
 * each type's params schema, the known names (severity, summary, minutes, urgency, priority,
 * resolution) by the decision and the rest by {@link SchemaInstanceGenerator}. The same request
 * always gets the same answer.
 */
final class AnalystAnswers {
    private static final Pattern ENTITY = Pattern.compile("(?m)^Entity: (.+)$");
    private static final Pattern TRIGGER =
            Pattern.compile(
                    "trigger \\d+: rule (\\S+) at event time (-?\\d+), events \\[[^\\]]*\\]\\n"
                            + "(\\{.*?\\})\\n</data>",
                    Pattern.DOTALL);
    private static final Pattern MEMORY =
            Pattern.compile(
                    "Your memory of this entity[^<]*<data>\\n(.*?)\\n</data>", Pattern.DOTALL);

    private final ObjectMapper mapper;

    AnalystAnswers(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** What the analyst decides. */
    private record Decision(String type, String level, String summary, String note) {}

    /**
     * The analyst's answer to {@code request} under {@code schema}, or null when the prompt is not
     * one it can read (another template, no triggers): the caller then answers as before.
     */
    JsonNode answer(JsonNode request, JsonNode schema, long seed) {
        String user = null;
        for (JsonNode m : request.path("messages")) {
            if ("user".equals(m.path("role").asText())) {
                user = m.path("content").asText();
            }
        }
        if (user == null) {
            return null;
        }
        Matcher entity = ENTITY.matcher(user);
        String key = entity.find() ? entity.group(1).trim() : "the entity";
        List<JsonNode> contexts = new ArrayList<>();
        Matcher t = TRIGGER.matcher(user);
        while (t.find()) {
            try {
                contexts.add(mapper.readTree(t.group(3)));
            } catch (Exception e) {
                return null;
            }
        }
        if (contexts.isEmpty()) {
            return null;
        }
        Matcher mem = MEMORY.matcher(user);
        String memory = mem.find() ? mem.group(1) : "";
        Map<String, JsonNode> types = actionTypes(schema);
        if (types.isEmpty()) {
            return null;
        }
        Decision d = decide(key, contexts, memory, types);
        ObjectNode answer = mapper.createObjectNode();
        ArrayNode actions = answer.putArray("actions");
        if (d.type() != null) {
            ObjectNode a = actions.addObject();
            a.put("type", d.type());
            a.set("params", params(types.get(d.type()), d, seed));
            a.put("reason", cut(d.summary(), maxLength(reasonSchema(schema), 500)));
        }
        if (schema.at("/properties/memory").isObject()) {
            answer.put("memory", cut(d.note(), maxLength(schema.at("/properties/memory"), 200)));
        }
        return answer;
    }

    private Decision decide(
            String key, List<JsonNode> contexts, String memory, Map<String, JsonNode> types) {
        JsonNode newest = contexts.get(contexts.size() - 1);
        JsonNode rule = newest.path("rule");
        String kind = rule.path("type").asText();
        String more =
                contexts.size() > 1
                        ? " (" + contexts.size() + " triggers since the last decision)"
                        : "";
        boolean alertedBefore = memory.contains("alert");
        boolean watchedBefore = memory.contains("watch");
        JsonNode upstream = upstreamDecision(newest);
        if (upstream != null) {
            boolean high =
                    upstream.at("/params/urgency").asText().equals("high")
                            || upstream.at("/params/severity").asText().equals("high");
            String why =
                    upstream.path("type").asText()
                            + " from "
                            + upstream.at("/trigger/rule").asText("upstream")
                            + ": \""
                            + upstream.path("reason").asText()
                            + "\"";
            if (high) {
                return pick(
                        types,
                        List.of("open-case", "alert", "escalate"),
                        "high",
                        "Open a case on " + key + ": high urgency " + why + more,
                        "case opened for " + key + " after " + why);
            }
            return pick(
                    types,
                    List.of("close", "watch"),
                    "low",
                    "Close " + key + "'s escalation: low urgency " + why + more,
                    "closed a low-urgency escalation of " + key);
        }
        switch (kind) {
            case "change-pct":
                {
                    double pct = rule.path("change_pct").asDouble();
                    String move =
                            String.format(
                                    Locale.ROOT,
                                    "%s %s %.1f%% in %d s (%.2f to %.2f)",
                                    key,
                                    pct < 0 ? "fell" : "rose",
                                    Math.abs(pct),
                                    rule.path("window_ms").asLong() / 1000,
                                    rule.path("from").asDouble(),
                                    rule.path("to").asDouble());
                    if (Math.abs(pct) >= 5) {
                        return urgent(types, key, move + more, alertedBefore, Math.abs(pct) >= 8);
                    }
                    if (watchedBefore && !alertedBefore) {
                        return new Decision(
                                null,
                                "low",
                                "",
                                "watching " + key + "; a second small move: " + move);
                    }
                    return pick(
                            types,
                            List.of("watch", "alert"),
                            "medium",
                            move + more + ": worth watching",
                            "watching " + key + " after " + move);
                }
            case "zscore":
                {
                    double z = rule.path("zscore").asDouble();
                    double mean = rule.path("mean").asDouble();
                    double value = rule.path("value").asDouble();
                    String spike =
                            String.format(
                                    Locale.ROOT,
                                    "%s %s %.0f is %.1fx its mean of %.0f (z=%.1f)",
                                    key,
                                    rule.path("field").asText("/value").replace("/", ""),
                                    value,
                                    mean == 0 ? 0 : value / mean,
                                    mean,
                                    z);
                    if (z >= 8) {
                        return urgent(types, key, spike + more, alertedBefore, z >= 20);
                    }
                    return pick(
                            types,
                            List.of("watch", "alert"),
                            "medium",
                            spike + more,
                            "watching " + key + " after " + spike);
                }
            case "match":
                {
                    String matched = rule.path("matched").asText();
                    String text = matchedText(newest, matched);
                    String why =
                            "'"
                                    + matched
                                    + "' in "
                                    + rule.path("field").asText("/text").replace("/", "")
                                    + (text.isEmpty() ? "" : ": \"" + text + "\"");
                    boolean severe = SEVERE_WORDS.matcher(matched).find();
                    return urgent(types, key, key + ": " + why + more, alertedBefore, severe);
                }
            case "absence":
                {
                    long silent = rule.path("silent_ms").asLong();
                    return pick(
                            types,
                            List.of("watch", "alert"),
                            "medium",
                            key + " silent for " + silent / 1000 + " s" + more,
                            key + " went quiet for " + silent / 1000 + " s");
                }
            default:
                return pick(
                        types,
                        List.of("watch", "alert"),
                        "medium",
                        key + ": rule " + rule.path("id").asText() + " fired" + more,
                        key + ": " + rule.path("id").asText());
        }
    }

    /** Words that make a headline severe, not just alarming. */
    private static final Pattern SEVERE_WORDS =
            Pattern.compile("(?i)fraud|bankruptcy|investigation|halts");

    /**
     * The urgent action: an alert (high when {@code severe}, else medium), or, once the memory
     * holds an earlier alert, an escalation (urgent when {@code severe}, else low).
     */
    private static Decision urgent(
            Map<String, JsonNode> types,
            String key,
            String what,
            boolean alertedBefore,
            boolean severe) {
        String level = severe ? "high" : "medium";
        if (alertedBefore && types.containsKey("escalate")) {
            return new Decision(
                    "escalate",
                    level,
                    what + "; alerted before, so escalating",
                    "escalated " + key + ": " + what);
        }
        return pick(
                types,
                List.of("alert", "escalate", "watch"),
                level,
                what,
                "alerted " + level + " on " + key + ": " + what);
    }

    private static Decision pick(
            Map<String, JsonNode> types,
            List<String> preferred,
            String level,
            String summary,
            String note) {
        for (String p : preferred) {
            if (types.containsKey(p)) {
                return new Decision(p, level, summary, note);
            }
        }
        return new Decision(types.keySet().iterator().next(), level, summary, note);
    }

    /** The upstream action when the event is another Reflex job's action; null otherwise. */
    private static JsonNode upstreamDecision(JsonNode context) {
        JsonNode events = context.path("recent_events");
        for (int i = events.size() - 1; i >= 0; i--) {
            JsonNode data = events.get(i).path("data");
            if (data.has("action_id") && data.has("reason") && data.has("type")) {
                return data;
            }
        }
        return null;
    }

    /** The text of the newest recent event that contains {@code matched}, or "". */
    private static String matchedText(JsonNode context, String matched) {
        JsonNode events = context.path("recent_events");
        for (int i = events.size() - 1; i >= 0; i--) {
            Iterator<JsonNode> values = events.get(i).path("data").elements();
            while (values.hasNext()) {
                JsonNode v = values.next();
                if (v.isTextual() && v.asText().contains(matched)) {
                    return v.asText();
                }
            }
        }
        return "";
    }

    /** Each action type's params schema, by name, from the answer's schema. */
    private static Map<String, JsonNode> actionTypes(JsonNode schema) {
        Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
        for (JsonNode branch : schema.at("/properties/actions/items/anyOf")) {
            JsonNode type = branch.at("/properties/type");
            String name =
                    type.has("enum")
                            ? type.get("enum").get(0).asText()
                            : type.path("const").asText();
            if (!name.isEmpty()) {
                out.put(name, branch.at("/properties/params"));
            }
        }
        return out;
    }

    private static JsonNode reasonSchema(JsonNode schema) {
        return schema.at("/properties/actions/items/anyOf/0/properties/reason");
    }

    private ObjectNode params(JsonNode schema, Decision d, long seed) {
        ObjectNode out = mapper.createObjectNode();
        JsonNode props = schema.path("properties");
        Iterator<Map.Entry<String, JsonNode>> it = props.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> p = it.next();
            JsonNode value = known(p.getKey(), p.getValue(), d);
            out.set(
                    p.getKey(),
                    value != null ? value : SchemaInstanceGenerator.generate(p.getValue(), seed));
        }
        return out;
    }

    /** The value the decision gives a param it knows by name, if it fits the param's schema. */
    private JsonNode known(String name, JsonNode schema, Decision d) {
        String level = d.level();
        switch (name) {
            case "severity":
                return oneOf(schema, level, "medium", "high", "low");
            case "urgency":
                return oneOf(schema, level.equals("high") ? "high" : "low", "low", "high");
            case "priority":
                return oneOf(
                        schema,
                        level.equals("high") ? "p1" : level.equals("medium") ? "p2" : "p3",
                        "p2",
                        "p1",
                        "p3");
            case "summary":
            case "resolution":
                return isType(schema, "string")
                        ? mapper.getNodeFactory().textNode(cut(d.summary(), maxLength(schema, 280)))
                        : null;
            case "minutes":
                if (!isType(schema, "integer") && !isType(schema, "number")) {
                    return null;
                }
                long minutes = level.equals("high") ? 120 : 30;
                long min = schema.path("minimum").asLong(Long.MIN_VALUE);
                long max = schema.path("maximum").asLong(Long.MAX_VALUE);
                return mapper.getNodeFactory().numberNode(Math.max(min, Math.min(max, minutes)));
            default:
                return null;
        }
    }

    /** The first of {@code wanted} that {@code schema}'s enum allows, or null. */
    private JsonNode oneOf(JsonNode schema, String... wanted) {
        JsonNode values = schema.path("enum");
        for (String w : wanted) {
            for (JsonNode v : values) {
                if (v.asText().equals(w)) {
                    return v.deepCopy();
                }
            }
        }
        return null;
    }

    private static boolean isType(JsonNode schema, String type) {
        JsonNode t = schema.path("type");
        if (t.isArray()) {
            for (JsonNode each : t) {
                if (each.asText().equals(type)) {
                    return true;
                }
            }
            return false;
        }
        return t.asText().equals(type);
    }

    private static int maxLength(JsonNode schema, int otherwise) {
        if (schema.has("maxLength")) {
            return schema.get("maxLength").asInt();
        }
        // The strict projection writes a dropped bound into the description.
        Matcher m =
                Pattern.compile("at most (\\d+) characters")
                        .matcher(schema.path("description").asText());
        return m.find() ? Integer.parseInt(m.group(1)) : otherwise;
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, Math.max(0, max - 3)) + "...";
    }
}
