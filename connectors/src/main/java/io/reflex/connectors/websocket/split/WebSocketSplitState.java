package io.reflex.connectors.websocket.split;

/**
 * The mutable state of a split in a reader: the last sequence number emitted, and the messages
 * without one emitted after it.
 */
public final class WebSocketSplitState {
    private final String url;
    private long lastSeq;
    private int unsequencedAfter;

    public WebSocketSplitState(WebSocketSplit split) {
        this.url = split.url();
        this.lastSeq = split.lastSeq();
        this.unsequencedAfter = split.unsequencedAfter();
    }

    /** A message without a sequence number was emitted. */
    public void addUnsequenced() {
        unsequencedAfter++;
    }

    public int unsequencedAfter() {
        return unsequencedAfter;
    }

    public long lastSeq() {
        return lastSeq;
    }

    /** A message with sequence number {@code lastSeq} was emitted. */
    public void setLastSeq(long lastSeq) {
        this.lastSeq = lastSeq;
        this.unsequencedAfter = 0;
    }

    public WebSocketSplit toSplit() {
        return new WebSocketSplit(url, lastSeq, unsequencedAfter);
    }
}
