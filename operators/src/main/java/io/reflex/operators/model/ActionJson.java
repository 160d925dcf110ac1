package io.reflex.operators.model;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The wire format of actions on their Kafka topic ({@link DeadLetterJson} for dead letters). The
 * action format is specified by {@code docs/action.schema.json}; {@link #SCHEMA_VERSION} changes
 * with it.
 */
public final class ActionJson {
    /** Version of the action format, also sent in the {@link #HEADER_SCHEMA_VERSION} header. */
    public static final int SCHEMA_VERSION = 1;

    public static final String HEADER_ACTION_ID = "reflex-action-id";
    public static final String HEADER_ACTION_TYPE = "reflex-action-type";
    public static final String HEADER_SCHEMA_VERSION = "reflex-schema-version";

    private ActionJson() {}

    /** An action as the JSON object written to the actions topic. */
    public static ObjectNode toJson(Action a) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("schema_version", SCHEMA_VERSION);
        n.put("action_id", a.actionId());
        n.put("key", a.key());
        n.put("type", a.type());
        n.set("params", Json.tree(a.params()));
        n.put("reason", a.reason());
        ObjectNode t = n.putObject("trigger");
        t.put("rule", a.rule());
        var ids = t.putArray("event_ids");
        a.eventIds().forEach(ids::add);
        t.put("event_time", a.eventTime());
        ObjectNode llm = n.putObject("llm");
        llm.put("model", a.model());
        llm.put("prompt_tokens", a.promptTokens());
        llm.put("completion_tokens", a.completionTokens());
        llm.put("latency_ms", a.latencyMs());
        llm.put("attempts", a.attempts());
        n.put("emitted_at", a.emittedAt());
        return n;
    }
}
