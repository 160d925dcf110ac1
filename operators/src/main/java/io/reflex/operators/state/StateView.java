package io.reflex.operators.state;

/**
 * What {@link StateChangelog} keeps per key: the latest of each half of the key's state record, as
 * JSON. A Flink POJO.
 */
public class StateView {
    /** The detector's half, or null before the first. */
    public String detector;

    /** The agent's half, or null before the key's first decision. */
    public String decision;

    public StateView() {}
}
