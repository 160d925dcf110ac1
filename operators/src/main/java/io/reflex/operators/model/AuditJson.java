package io.reflex.operators.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.llm.ChatMessage;
import java.util.List;

/**
 * The wire format of the audit topic: one record per LLM interaction, as specified by {@code
 * docs/audit.schema.json}. An interaction is one request of one key from its first trigger to its
 * end, however many attempts, tool rounds and repairs it took; it ends decided (actions or no
 * action) or dead-lettered.
 */
public final class AuditJson {
    /** Version of the audit format; changes with {@code docs/audit.schema.json}. */
    public static final int SCHEMA_VERSION = 1;

    public static final String ACTIONS = "actions";
    public static final String NO_ACTION = "no_action";
    public static final String DEAD_LETTERED = "dead_lettered";

    /** The answer came from the LLM. */
    public static final String FROM_LLM = "llm";

    /** The answer came from the response journal: no call was made. */
    public static final String FROM_JOURNAL = "journal";

    private AuditJson() {}

    /**
     * The figures of an interaction.
     *
     * @param model the model that answered, or the configured one when none did
     * @param promptTokens prompt tokens of the answer decided on (0 when none)
     * @param completionTokens its completion tokens
     * @param costMicroUsd their cost by the job's price table, in millionths of a dollar
     * @param latencyMs from the first attempt to the end; the answer's own latency when served from
     *     the journal
     * @param attempts attempts made
     */
    public record Figures(
            String model,
            long promptTokens,
            long completionTokens,
            long costMicroUsd,
            long latencyMs,
            int attempts) {}

    /**
     * One interaction as its audit record.
     *
     * @param requestId the request's deterministic id
     * @param key the entity key
     * @param triggers the triggers it decided on, oldest first
     * @param answeredBy {@link #FROM_LLM} or {@link #FROM_JOURNAL}
     * @param figures model, tokens, cost, latency and attempts
     * @param actions the validated actions (empty for no action, null when dead-lettered)
     * @param memory the memory note the decision left, or null
     * @param cause why it was dead-lettered, or null
     * @param prompt the conversation sent, or null to leave it out
     * @param endedAt wall-clock time it ended, epoch milliseconds
     */
    public static byte[] render(
            String requestId,
            String key,
            List<Trigger> triggers,
            String answeredBy,
            Figures figures,
            List<Action> actions,
            String memory,
            String cause,
            List<ChatMessage> prompt,
            long endedAt) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("schema_version", SCHEMA_VERSION);
        n.put("request_id", requestId);
        n.put("key", key);
        ArrayNode r = n.putArray("rules");
        Trigger.rules(triggers).forEach(r::add);
        ArrayNode ts = n.putArray("triggers");
        for (Trigger t : triggers) {
            ObjectNode o = ts.addObject();
            o.put("rule", t.rule());
            ArrayNode ids = o.putArray("event_ids");
            t.eventIds().forEach(ids::add);
            o.put("event_time", t.eventTime());
        }
        n.put("outcome", actions == null ? DEAD_LETTERED : actions.isEmpty() ? NO_ACTION : ACTIONS);
        if (cause != null) {
            n.put("cause", cause);
        }
        n.put("answered_by", answeredBy);
        ObjectNode llm = n.putObject("llm");
        llm.put("model", figures.model());
        llm.put("prompt_tokens", figures.promptTokens());
        llm.put("completion_tokens", figures.completionTokens());
        llm.put("cost_usd", figures.costMicroUsd() / 1e6);
        llm.put("latency_ms", figures.latencyMs());
        llm.put("attempts", figures.attempts());
        if (actions != null) {
            ObjectNode d = n.putObject("decision");
            ArrayNode as = d.putArray("actions");
            for (Action a : actions) {
                ObjectNode o = as.addObject();
                o.put("action_id", a.actionId());
                o.put("type", a.type());
                o.set("params", Json.tree(a.params()));
                o.put("reason", a.reason());
            }
            if (memory != null) {
                d.put("memory", memory);
            }
        }
        if (prompt != null) {
            ArrayNode p = n.putArray("prompt");
            for (ChatMessage m : prompt) {
                ObjectNode o = p.addObject();
                o.put("role", m.role());
                if (m.content() != null) {
                    o.put("content", m.content());
                }
            }
        }
        n.put("ended_at", endedAt);
        return Json.bytes(n);
    }
}
