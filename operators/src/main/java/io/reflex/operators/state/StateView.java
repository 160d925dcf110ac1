package io.reflex.operators.state;

/**
 * What {@link StateChangelog} keeps per key: the latest of each half of the key's state record, as
 * UTF-8 JSON (copied as bytes, where strings would be written character by character). A Flink
 * POJO.
 */
public class StateView {
    /** The detector's half in UTF-8, or null before the first. */
    public byte[] detector;

    /** The agent's half in UTF-8, or null before the key's first decision. */
    public byte[] decision;

    public StateView() {}
}
