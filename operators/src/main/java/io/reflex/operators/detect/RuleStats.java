package io.reflex.operators.detect;

import java.util.Arrays;

/**
 * Statistics of one rule for one key, kept in {@link KeyStats}: the counters, the EWMA of a {@code
 * zscore} rule, and a {@code change-pct} rule's samples in a ring of primitive arrays that grows up
 * to {@code detector.max-samples}.
 */
public final class RuleStats {
    final String id;

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
