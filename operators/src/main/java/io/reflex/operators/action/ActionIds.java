package io.reflex.operators.action;

import io.reflex.operators.model.Trigger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Deterministic ids. The same job, key and trigger always give the same request id, and the same
 * action position within the answer gives the same action id, so a replay after a failure yields
 * the ids downstream consumers already saw and can dedupe on.
 */
public final class ActionIds {
    private ActionIds() {}

    /** The id of the LLM request for {@code trigger}: 32 hex characters. */
    public static String requestId(String job, Trigger trigger) {
        return requestId(job, List.of(trigger));
    }

    /**
     * The id of one LLM request for coalesced {@code triggers} of one key, oldest first. For a
     * single trigger it equals {@link #requestId(String, Trigger)}.
     */
    public static String requestId(String job, List<Trigger> triggers) {
        StringBuilder s = new StringBuilder();
        s.append(job).append('\0').append(triggers.get(0).key());
        for (Trigger trigger : triggers) {
            s.append('\0').append(trigger.rule()).append('\0').append(trigger.eventTime());
            for (String id : trigger.eventIds()) {
                s.append('\0').append(id);
            }
        }
        return hash(s.toString());
    }

    /** The id of the action at {@code index} in the answer to request {@code requestId}. */
    public static String actionId(String requestId, int index) {
        return hash(requestId + '\0' + index);
    }

    private static String hash(String s) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
