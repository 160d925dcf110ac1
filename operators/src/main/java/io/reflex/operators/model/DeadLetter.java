package io.reflex.operators.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;

/**
 * Input or work that could not be processed, with the reason. Written to the dead-letter topic;
 * nothing the job cannot handle is dropped silently.
 *
 * <p>The raw bytes travel whole inside the job; the dead-letter sink writes at most its configured
 * share of them, with their size and SHA-256 ({@link DeadLetterJson}), so that a dead letter always
 * fits the broker whatever the input was.
 *
 * @param stage the stage that gave up: {@code decode}, {@code detect}, {@code llm} or {@code sink}
 * @param reason a readable reason
 * @param source where the record came from (a topic, a feed URL) or the rule for {@code llm}
 * @param partition the source partition, or -1
 * @param offset the source offset, or -1
 * @param key the entity key if known, else null
 * @param raw the raw bytes, or an empty array
 * @param at wall-clock time of the failure, in epoch milliseconds
 */
public record DeadLetter(
        String stage,
        String reason,
        String source,
        int partition,
        long offset,
        String key,
        byte[] raw,
        long at) {

    public static final String STAGE_DECODE = "decode";
    public static final String STAGE_DETECT = "detect";
    public static final String STAGE_LLM = "llm";

    /** A record the sink could not write: the broker would refuse it. */
    public static final String STAGE_SINK = "sink";

    private static final byte[] NONE = new byte[0];

    public DeadLetter {
        raw = raw == null ? NONE : raw;
    }

    /** A dead letter for raw bytes. */
    public static DeadLetter of(
            String stage,
            String reason,
            String source,
            int partition,
            long offset,
            String key,
            byte[] raw) {
        return new DeadLetter(
                stage, reason, source, partition, offset, key, raw, System.currentTimeMillis());
    }

    /** A dead letter whose raw content is text (a trigger, an LLM answer). */
    public static DeadLetter ofText(
            String stage, String reason, String source, String key, String raw) {
        return of(stage, reason, source, -1, -1, key, raw.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A trigger the LLM stage gave up on: its source is its rule, its raw content the trigger as
     * JSON, so that it can be replayed.
     */
    public static DeadLetter ofTrigger(String reason, Trigger t) {
        try {
            return ofText(
                    STAGE_LLM,
                    reason,
                    "rule:" + t.rule(),
                    t.key(),
                    Json.MAPPER.writeValueAsString(t));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a trigger is always JSON", e);
        }
    }
}
