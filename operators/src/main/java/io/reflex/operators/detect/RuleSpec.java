package io.reflex.operators.detect;

import java.io.Serializable;
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

    /** Whether this rule looks at events from {@code source}. */
    public boolean appliesTo(String source) {
        return sources == null || sources.isEmpty() || sources.contains(source);
    }
}
