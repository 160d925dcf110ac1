package io.reflex.operators.agent;

/**
 * What one subtask spent on one UTC day, in micro-dollars by the price table: union list state, so
 * that a restore at any parallelism starts from the day's total. A Flink POJO.
 */
public class DailySpend {
    public long day;
    public long microUsd;

    public DailySpend() {}

    DailySpend(long day, long microUsd) {
        this.day = day;
        this.microUsd = microUsd;
    }
}
