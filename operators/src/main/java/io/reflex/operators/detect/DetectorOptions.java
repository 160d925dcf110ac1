package io.reflex.operators.detect;

import io.reflex.connectors.config.Option;
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

    public static final Option<Integer> CONTEXT_EVENTS =
            Option.key("context-events")
                    .intType()
                    .defaultValue(10)
                    .between(1, 100)
                    .withDescription("recent events per key kept for the trigger's context");

    public static final Option<Integer> CONTEXT_EVENT_MAX_CHARS =
            Option.key("context-event-max-chars")
                    .intType()
                    .defaultValue(1000)
                    .between(50, 100_000)
                    .withDescription("longer payloads are cut in the context");

    public static final Option<Integer> MAX_SAMPLES =
            Option.key("max-samples")
                    .intType()
                    .defaultValue(512)
                    .between(2, 100_000)
                    .withDescription("bound of the samples a `change-pct` rule keeps per key");

    public static final Option<Duration> STATE_TTL =
            Option.key("state-ttl")
                    .durationType()
                    .defaultValue(Duration.ofDays(1))
                    .withDescription("a key's statistics expire after this long without events");

    public static final Option<Integer> DEDUPE_WINDOW =
            Option.key("dedupe-window")
                    .intType()
                    .defaultValue(64)
                    .between(0, 4096)
                    .withDescription(
                            "how many of a key's latest event ids are remembered to drop replays"
                                    + " (0 turns deduplication off). They are kept as 64-bit hashes"
                                    + " inside the key's statistics, so the check costs no state"
                                    + " access of its own");

    public static final Option<Duration> DEDUPE_TTL =
            Option.key("dedupe-ttl")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription(
                            "an id is remembered at most this long (processing time), and only"
                                    + " while it is among the key's latest `dedupe-window`");

    public static final Option<Long> CACHE_BYTES =
            Option.key("cache-bytes")
                    .longType()
                    .defaultValue(32L << 20)
                    .between(0L, 1L << 40)
                    .withDefaultText("`33554432` (32 MiB)")
                    .withDescription(
                            "per subtask, the estimated heap bytes of the keys' statistics kept on"
                                    + " the heap between checkpoints, so that a key's events cost"
                                    + " one RocksDB read per checkpoint interval. Changes are"
                                    + " written to RocksDB once the key has been quiet for"
                                    + " `cache-write-delay`, when the least recently used entry is"
                                    + " evicted, and before each checkpoint barrier, so every"
                                    + " checkpoint and savepoint holds them. `0` reads and writes"
                                    + " on every event");

    public static final Option<Duration> CACHE_WRITE_DELAY =
            Option.key("cache-write-delay")
                    .durationType()
                    .defaultValue(Duration.ofMillis(200))
                    .withDescription(
                            "a cached change is written to RocksDB once its key has been unchanged"
                                    + " this long, so that the write before a checkpoint barrier,"
                                    + " which holds up the task, covers only the keys that changed"
                                    + " within this last delay. A key that keeps changing is"
                                    + " written at the barrier only (it would be in that write"
                                    + " anyway): its events between two checkpoints cost one"
                                    + " write. Shorter keeps the checkpoint's pause short; longer"
                                    + " saves writes on keys that change every so often");

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
                CONTEXT_EVENTS.defaultValue(),
                CONTEXT_EVENT_MAX_CHARS.defaultValue(),
                MAX_SAMPLES.defaultValue(),
                STATE_TTL.defaultValue(),
                DEDUPE_TTL.defaultValue(),
                DEDUPE_WINDOW.defaultValue(),
                CACHE_BYTES.defaultValue(),
                CACHE_WRITE_DELAY.defaultValue());
    }
}
