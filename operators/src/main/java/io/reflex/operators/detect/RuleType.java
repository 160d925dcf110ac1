package io.reflex.operators.detect;

/** The kinds of detection rule a job file can declare. */
public enum RuleType {
    /** Percentage change of a numeric field over a time window. */
    CHANGE_PCT("change-pct"),
    /** Z-score of a numeric field against an exponentially weighted mean and variance. */
    ZSCORE("zscore"),
    /** A regular expression found in a text field. */
    MATCH("match"),
    /** No event for a key for a while, measured in event time with timers. */
    ABSENCE("absence");

    private final String id;

    RuleType(String id) {
        this.id = id;
    }

    /** The name used in job files. */
    public String id() {
        return id;
    }

    /** The type for a job-file name, or null. */
    public static RuleType fromId(String id) {
        for (RuleType t : values()) {
            if (t.id.equals(id)) {
                return t;
            }
        }
        return null;
    }
}
