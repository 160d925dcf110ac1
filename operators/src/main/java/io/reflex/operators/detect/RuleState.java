package io.reflex.operators.detect;

import java.util.ArrayList;
import java.util.List;

/** Statistics of one rule for one key. A Flink POJO. */
public class RuleState {
    /** Values seen. */
    public long count;

    /** EWMA mean ({@code zscore}). */
    public double mean;

    /** EWMA variance ({@code zscore}). */
    public double variance;

    /** The last value seen. */
    public double last;

    /** Event time the rule last fired for the key, or {@code Long.MIN_VALUE}. */
    public long lastFired = Long.MIN_VALUE;

    /** {@code change-pct}: event times of the samples in the window, oldest first. */
    public List<Long> sampleTimes = new ArrayList<>();

    /** {@code change-pct}: the sample values, aligned with {@link #sampleTimes}. */
    public List<Double> sampleValues = new ArrayList<>();

    public RuleState() {}
}
