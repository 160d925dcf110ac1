package io.reflex.operators.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
    public static byte[] decision(
            String requestId, List<Trigger> triggers, List<Action> actions, String note, long at) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("request_id", requestId);
        n.put("decided_at", at);
        ArrayNode r = n.putArray("rules");
        Trigger.rules(triggers).forEach(r::add);
        n.put("event_time", triggers.stream().mapToLong(Trigger::eventTime).max().orElseThrow());
        n.put("outcome", actions.isEmpty() ? "no_action" : "actions");
        ArrayNode as = n.putArray("actions");
        for (Action a : actions) {
            ObjectNode o = as.addObject();
            o.put("action_id", a.actionId());
            o.put("type", a.type());
            o.put("reason", a.reason());
        }
        n.put("memory", note == null ? "" : note);
        return Json.bytes(n);
    }

    /**
     * A key's record: its halves as they are (JSON objects, or null when that half has not been
     * seen yet), written around them without parsing them again.
     */
    public static byte[] record(String key, byte[] detector, byte[] decision, long updatedAt) {
        byte[] quotedKey = quote(key);
        ByteArrayOutputStream out =
                new ByteArrayOutputStream(64 + quotedKey.length + len(detector) + len(decision));
        out.writeBytes(ascii("{\"schema_version\":" + SCHEMA_VERSION + ",\"key\":"));
        out.writeBytes(quotedKey);
        out.writeBytes(ascii(",\"updated_at\":" + updatedAt));
        if (detector != null) {
            out.writeBytes(DETECTOR);
            out.writeBytes(detector);
        }
        if (decision != null) {
            out.writeBytes(DECISION);
            out.writeBytes(decision);
        }
        out.write('}');
        return out.toByteArray();
    }

    private static final byte[] DETECTOR = ascii(",\"detector\":");
    private static final byte[] DECISION = ascii(",\"decision\":");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static int len(byte[] b) {
        return b == null ? 0 : b.length;
    }

    private static byte[] quote(String s) {
        try {
            return Json.MAPPER.writeValueAsBytes(s);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
