package io.reflex.operators.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.llm.ToolCall;
import io.reflex.operators.llm.ToolSpec;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import java.util.List;

/**
 * The read-only tools the LLM may call about the key it is deciding on: {@code recent_events(n)}
 * and {@code stats()} from the newest trigger's context, and {@code past_decisions(n)} from the
 * key's memory. Evaluated on the mailbox thread with the key set; they read state and never change
 * it. Answers are bounded.
 */
public final class AgentTools {
    static final int MAX_N = 20;

    private AgentTools() {}

    /** The tools the agent offers the model (when {@code llm.max-tool-rounds} > 0). */
    public static List<ToolSpec> specs() {
        return List.of(
                new ToolSpec(
                        "recent_events",
                        "The entity's most recent events, newest last.",
                        countParameter()),
                new ToolSpec(
                        "stats",
                        "The entity's rule statistics (counts, means, last values).",
                        noParameters()),
                new ToolSpec(
                        "past_decisions",
                        "Your last decisions about this entity, newest" + " last.",
                        countParameter()));
    }

    /** Evaluates one call; unknown tools and bad arguments get an error answer, not a failure. */
    static String evaluate(ToolCall call, List<Trigger> triggers, AgentMemory memory) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        int n = count(call.arguments());
        JsonNode context = newestContext(triggers);
        switch (call.name()) {
            case "recent_events":
                {
                    ArrayNode events = out.putArray("events");
                    JsonNode all = context.path("recent_events");
                    for (int i = Math.max(0, all.size() - n); i < all.size(); i++) {
                        events.add(all.get(i));
                    }
                    break;
                }
            case "stats":
                out.set(
                        "stats",
                        context.path("stats").isMissingNode()
                                ? Json.MAPPER.createObjectNode()
                                : context.get("stats"));
                break;
            case "past_decisions":
                {
                    ArrayNode decisions = out.putArray("decisions");
                    List<String> all = memory == null ? List.of() : memory.decisions;
                    for (int i = Math.max(0, all.size() - n); i < all.size(); i++) {
                        decisions.add(all.get(i));
                    }
                    break;
                }
            default:
                out.put("error", "unknown tool '" + call.name() + "'");
        }
        return out.toString();
    }

    private static JsonNode newestContext(List<Trigger> triggers) {
        try {
            return Json.MAPPER.readTree(triggers.get(triggers.size() - 1).context());
        } catch (Exception e) {
            return Json.MAPPER.createObjectNode();
        }
    }

    private static int count(String arguments) {
        try {
            JsonNode args = Json.MAPPER.readTree(arguments == null ? "{}" : arguments);
            int n = args.path("n").asInt(5);
            return Math.max(1, Math.min(MAX_N, n));
        } catch (Exception e) {
            return 5;
        }
    }

    private static ObjectNode countParameter() {
        ObjectNode p = noParameters();
        ObjectNode n = ((ObjectNode) p.get("properties")).putObject("n");
        n.put("type", "integer");
        n.put("description", "How many, at most " + MAX_N + ".");
        p.putArray("required").add("n");
        return p;
    }

    private static ObjectNode noParameters() {
        ObjectNode p = Json.MAPPER.createObjectNode();
        p.put("type", "object");
        p.putObject("properties");
        p.putArray("required");
        p.put("additionalProperties", false);
        return p;
    }
}
