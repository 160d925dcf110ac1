package io.reflex.operators.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The wire format of the state changelog, as specified by {@code docs/state.schema.json}: one
 * compacted record per key holding its latest state. Its two halves come from two operators, the
 * detector ({@code detector}: the rules' statistics and the last trigger) and the agent ({@code
 * decision}: the last decision and the memory note), and {@link StateChangelog} joins them.
 */
public final class StateJson {
    /** Version of the state format; changes with {@code docs/state.schema.json}. */
    public static final int SCHEMA_VERSION = 1;

    private StateJson() {}

    /** The decision half: the request, its triggers' rules, its actions and the note after it. */
    public static String decision(
            String requestId, List<Trigger> triggers, List<Action> actions, String note, long at) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("request_id", requestId);
        n.put("decided_at", at);
        LinkedHashSet<String> rules = new LinkedHashSet<>();
        long eventTime = Long.MIN_VALUE;
        for (Trigger t : triggers) {
            rules.add(t.rule());
            eventTime = Math.max(eventTime, t.eventTime());
        }
        ArrayNode r = n.putArray("rules");
        rules.forEach(r::add);
        n.put("event_time", eventTime);
        n.put("outcome", actions.isEmpty() ? "no_action" : "actions");
        ArrayNode as = n.putArray("actions");
        for (Action a : actions) {
            ObjectNode o = as.addObject();
            o.put("action_id", a.actionId());
            o.put("type", a.type());
            o.put("reason", a.reason());
        }
        n.put("memory", note == null ? "" : note);
        return n.toString();
    }

    /**
     * A key's record: its halves as they are (JSON objects, or null when that half has not been
     * seen yet), written around them without parsing them again.
     */
    public static String record(String key, String detector, String decision, long updatedAt) {
        StringBuilder s = new StringBuilder(64 + len(detector) + len(decision));
        s.append("{\"schema_version\":").append(SCHEMA_VERSION);
        s.append(",\"key\":").append(quote(key));
        s.append(",\"updated_at\":").append(updatedAt);
        if (detector != null) {
            s.append(",\"detector\":").append(detector);
        }
        if (decision != null) {
            s.append(",\"decision\":").append(decision);
        }
        return s.append('}').toString();
    }

    private static int len(String s) {
        return s == null ? 0 : s.length();
    }

    private static String quote(String s) {
        try {
            return Json.MAPPER.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
