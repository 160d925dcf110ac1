package io.reflex.operators.detect;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the {@link Detector}.
 *
 * @param rules the rules, in evaluation order
 * @param contextEvents how many recent events per key go into a trigger's context
 * @param contextEventMaxChars longer event payloads are cut to this many characters in the context
 * @param maxSamples upper bound of the samples a {@code change-pct} rule keeps per key
 * @param stateTtl a key's statistics expire after this long without events
 * @param dedupeTtl event ids are remembered at most this long (processing time) for deduplication
 * @param dedupeWindow how many of a key's latest event ids are remembered for deduplication
 * @param cacheBytes the estimated heap bytes of the statistics cached per subtask between
 *     checkpoints ({@link StatsCache}); 0 reads and writes them on every event
 * @param cacheWriteDelay a cached change is written to the state once its key has been unchanged
 *     this long, so that the flush before a checkpoint barrier writes only the keys that changed
 *     within this last delay
 */
public record DetectorOptions(
        List<RuleSpec> rules,
        int contextEvents,
        int contextEventMaxChars,
        int maxSamples,
        Duration stateTtl,
        Duration dedupeTtl,
        int dedupeWindow,
        long cacheBytes,
        Duration cacheWriteDelay)
        implements Serializable {

    public static final int DEFAULT_CONTEXT_EVENTS = 10;
    public static final int DEFAULT_CONTEXT_EVENT_MAX_CHARS = 1000;
    public static final int DEFAULT_MAX_SAMPLES = 512;
    public static final Duration DEFAULT_STATE_TTL = Duration.ofDays(1);
    public static final Duration DEFAULT_DEDUPE_TTL = Duration.ofHours(1);
    public static final int DEFAULT_DEDUPE_WINDOW = 64;
    public static final long DEFAULT_CACHE_BYTES = 32L << 20;
    public static final Duration DEFAULT_CACHE_WRITE_DELAY = Duration.ofMillis(200);

    /**
     * The distinct fields the rules read, in rule order: the decoder reads each into the event
     * ({@link io.reflex.operators.model.Event#numbers()}), and the detector finds a rule's value by
     * the index of its field here.
     */
    public List<String> fields() {
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        for (RuleSpec r : rules) {
            if (r.type() != RuleType.ABSENCE && r.field() != null) {
                out.add(r.field());
            }
        }
        return List.copyOf(out);
    }

    /** Options with defaults for everything but the rules. */
    public static DetectorOptions withRules(List<RuleSpec> rules) {
        return new DetectorOptions(
                rules,
                DEFAULT_CONTEXT_EVENTS,
                DEFAULT_CONTEXT_EVENT_MAX_CHARS,
                DEFAULT_MAX_SAMPLES,
                DEFAULT_STATE_TTL,
                DEFAULT_DEDUPE_TTL,
                DEFAULT_DEDUPE_WINDOW,
                DEFAULT_CACHE_BYTES,
                DEFAULT_CACHE_WRITE_DELAY);
    }
}
