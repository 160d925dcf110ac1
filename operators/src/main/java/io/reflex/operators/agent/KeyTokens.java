package io.reflex.operators.agent;

/** The tokens a key used on one UTC day, for its budget. Keyed state; a Flink POJO. */
public class KeyTokens {
    /** The UTC day, in days since the epoch. */
    public long day;

    /** Prompt and completion tokens used that day. */
    public long tokens;

    public KeyTokens() {}

    KeyTokens(long day, long tokens) {
        this.day = day;
        this.tokens = tokens;
    }
}
