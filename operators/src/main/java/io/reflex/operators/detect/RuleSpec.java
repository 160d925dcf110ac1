package io.reflex.operators.detect;

import io.reflex.connectors.config.Option;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * One declarative rule. Which fields matter depends on {@link #type()}; the job-file validator
 * checks that the ones a type needs are set.
 *
 * @param id unique rule id, carried by its triggers
 * @param type the kind of rule
 * @param sources only events from these sources (for example {@code kafka:market.news}); empty for
 *     all
 * @param field JSON pointer to the field the rule reads (not for {@code absence})
 * @param windowMs {@code change-pct}: the window over which the change is measured
 * @param thresholdPct {@code change-pct}: the absolute change in percent that fires
 * @param alpha {@code zscore}: the EWMA weight of a new value, in (0, 1]
 * @param threshold {@code zscore}: the absolute z-score that fires
 * @param minCount {@code zscore}: values needed before the rule may fire
 * @param pattern {@code match}: the regular expression
 * @param afterMs {@code absence}: the silence, in event time, that fires
 * @param cooldownMs after firing for a key, the rule stays quiet for that key this long (event
 *     time)
 */
public record RuleSpec(
        String id,
        RuleType type,
        List<String> sources,
        String field,
        long windowMs,
        double thresholdPct,
        double alpha,
        double threshold,
        int minCount,
        String pattern,
        long afterMs,
        long cooldownMs)
        implements Serializable {

    public static final Option<String> ID =
            Option.key("id").stringType().required().withDescription("unique among the rules");

    public static final Option<String> TYPE =
            Option.key("type")
                    .stringType()
                    .required()
                    .withValues("change-pct", "zscore", "match", "absence")
                    .withDescription("`change-pct`, `zscore`, `match` or `absence`");

    public static final Option<List<String>> SOURCES =
            Option.key("sources")
                    .stringListType()
                    .noDefaultValue()
                    .withDefaultText("all")
                    .withDescription("only events from these sources");

    public static final Option<String> FIELD =
            Option.key("field")
                    .pointerType()
                    .noDefaultValue()
                    .withDefaultText("required but for `absence`")
                    .withDescription("JSON pointer to the value the rule reads");

    public static final Option<Duration> WINDOW =
            Option.key("window")
                    .durationType()
                    .noDefaultValue()
                    .withDefaultText("required for `change-pct`")
                    .withDescription(
                            "`change-pct`: the value's change is measured against the oldest value"
                                    + " within this window");

    public static final Option<Double> THRESHOLD_PCT =
            Option.key("threshold-pct")
                    .doubleType()
                    .noDefaultValue()
                    .between(0.0, 1e9)
                    .withDefaultText("required for `change-pct`")
                    .withDescription(
                            "`change-pct`: fires when the value moved by at least this percentage,"
                                    + " either way");

    public static final Option<Double> ALPHA =
            Option.key("alpha")
                    .doubleType()
                    .defaultValue(0.1)
                    .between(1e-6, 1.0)
                    .withDescription(
                            "`zscore`: the weight of a new value in the EWMA mean and variance");

    public static final Option<Double> THRESHOLD =
            Option.key("threshold")
                    .doubleType()
                    .defaultValue(3.0)
                    .between(1e-6, 1e6)
                    .withDescription(
                            "`zscore`: fires when the value is this many standard deviations from"
                                    + " the EWMA mean");

    public static final Option<Integer> MIN_COUNT =
            Option.key("min-count")
                    .intType()
                    .defaultValue(20)
                    .between(1, 1_000_000)
                    .withDescription("`zscore`: values the key needs before the rule may fire");

    public static final Option<String> PATTERN =
            Option.key("pattern")
                    .stringType()
                    .noDefaultValue()
                    .withDefaultText("required for `match`")
                    .withDescription(
                            "`match`: a Java regular expression, found anywhere in the field;"
                                    + " `(?i)` for case-insensitive");

    public static final Option<Duration> AFTER =
            Option.key("after")
                    .durationType()
                    .noDefaultValue()
                    .withDefaultText("required for `absence`")
                    .withDescription(
                            "`absence`: fires when a key has had no event for this long, in event"
                                    + " time (event-time timers)");

    public static final Option<Duration> COOLDOWN =
            Option.key("cooldown")
                    .durationType()
                    .defaultValue(Duration.ZERO)
                    .withDescription(
                            "after firing for a key, the rule is quiet for that key this long"
                                    + " (event time)");

    /** Whether this rule looks at events from {@code source}. */
    public boolean appliesTo(String source) {
        return sources == null || sources.isEmpty() || sources.contains(source);
    }
}
