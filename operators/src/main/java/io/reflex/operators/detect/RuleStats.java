package io.reflex.operators.detect;

import java.util.Arrays;

/**
 * Statistics of one rule for one key, kept in {@link KeyStats}: the counters, the EWMA of a {@code
 * zscore} rule, and a {@code change-pct} rule's samples in a ring of primitive arrays that grows up
 * to {@code detector.max-samples}.
 */
public final class RuleStats {
    /** The rule's id; replaced by the rule's own instance on lookup ({@link KeyStats#rule}). */
    String id;

    /** Values seen. */
    long count;

    /** EWMA mean and variance ({@code zscore}). */
    double mean;

    double variance;

    /** The last value seen. */
    double last;

    /** Event time the rule last fired for the key, or {@code Long.MIN_VALUE}. */
    long lastFired = Long.MIN_VALUE;

    /** {@code change-pct}: the samples' event times and values, oldest at {@code head}. */
    long[] times = new long[0];

    double[] values = new double[0];
    int head;
    int size;

    /**
     * Decimals with which every sample's value, as a whole number of them, reads back bit for bit
     * (0 to {@link #MAX_SCALE}), or {@link #NO_SCALE}: kept up as samples are added, so that the
     * serializer writes the samples without a pass to find it. It can be more than the samples need
     * once those that needed it have left the window; it is found afresh when read from a format
     * that did not record it, and when no scale fitted.
     */
    int scale;

    static final int MAX_SCALE = 6;
    static final int NO_SCALE = -1;

    private static final double[] POW10 = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};

    RuleStats(String id) {
        this.id = id;
    }

    /** Samples kept. */
    int samples() {
        return size;
    }

    long oldestTime() {
        return times[head];
    }

    double oldestValue() {
        return values[head];
    }

    void dropOldest() {
        head = (head + 1) % times.length;
        size--;
    }

    /** Appends a sample, growing the ring up to {@code max} (the caller keeps size below it). */
    void add(long t, double v, int max) {
        if (size == times.length) {
            int cap = Math.min(Math.max(4, times.length * 2), Math.max(1, max));
            long[] nt = new long[cap];
            double[] nv = new double[cap];
            for (int i = 0; i < size; i++) {
                nt[i] = times[(head + i) % times.length];
                nv[i] = values[(head + i) % values.length];
            }
            times = nt;
            values = nv;
            head = 0;
        }
        int at = (head + size) % times.length;
        times[at] = t;
        values[at] = v;
        size++;
        if (scale != NO_SCALE && !readsBack(v, scale)) {
            scale = fewestDecimalsFrom(scale + 1);
        }
    }

    /**
     * The fewest decimals from {@code from} to {@link #MAX_SCALE} that fit every sample, or {@link
     * #NO_SCALE}.
     */
    private int fewestDecimalsFrom(int from) {
        for (int k = from; k <= MAX_SCALE; k++) {
            if (allReadBack(k)) {
                return k;
            }
        }
        return NO_SCALE;
    }

    private boolean allReadBack(int k) {
        for (int i = 0; i < size; i++) {
            if (!readsBack(value(i), k)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The fewest decimals (0 to {@link #MAX_SCALE}) that fit every sample, or {@link #NO_SCALE}.
     */
    static int decimalScale(RuleStats r) {
        return r.fewestDecimalsFrom(0);
    }

    /** {@code v} times 10^{@code scale} as a whole number. */
    static long scaled(double v, int scale) {
        return Math.round(v * POW10[scale]);
    }

    /** A whole number of {@code scale} decimals as a double. */
    static double unscaled(long v, int scale) {
        return v / POW10[scale];
    }

    /** Whether {@code v}, as a whole number of {@code scale} decimals, reads back bit for bit. */
    static boolean readsBack(double v, int scale) {
        double x = v * POW10[scale];
        if (!(Math.abs(x) < 0x1p53)) {
            return false; // too large to be a whole number without loss, or not finite
        }
        // A whole number below 2^53 and a power of ten are exact doubles, and the division is
        // correctly rounded: it gives back the double nearest to the decimal, as parsing did.
        return Double.doubleToRawLongBits(Math.round(x) / POW10[scale])
                == Double.doubleToRawLongBits(v);
    }

    /** The i-th oldest sample's time. */
    long time(int i) {
        return times[(head + i) % times.length];
    }

    /** The i-th oldest sample's value. */
    double value(int i) {
        return values[(head + i) % values.length];
    }

    RuleStats copy() {
        RuleStats c = new RuleStats(id);
        c.count = count;
        c.mean = mean;
        c.variance = variance;
        c.last = last;
        c.lastFired = lastFired;
        c.times = Arrays.copyOf(times, times.length);
        c.values = Arrays.copyOf(values, values.length);
        c.head = head;
        c.size = size;
        c.scale = scale;
        return c;
    }

    /** From the state of the 0.1 format. */
    static RuleStats fromLegacy(String id, RuleState s, int max) {
        RuleStats r = new RuleStats(id);
        r.count = s.count;
        r.mean = s.mean;
        r.variance = s.variance;
        r.last = s.last;
        r.lastFired = s.lastFired;
        int n = Math.min(s.sampleTimes.size(), s.sampleValues.size());
        for (int i = Math.max(0, n - Math.max(1, max)); i < n; i++) {
            r.add(s.sampleTimes.get(i), s.sampleValues.get(i), max);
        }
        return r;
    }
}
