package io.reflex.connectors.websocket.split;

/** The mutable state of a split in a reader: the last sequence number emitted. */
public final class WebSocketSplitState {
    private final String url;
    private long lastSeq;

    public WebSocketSplitState(WebSocketSplit split) {
        this.url = split.url();
        this.lastSeq = split.lastSeq();
    }

    public long lastSeq() {
        return lastSeq;
    }

    public void setLastSeq(long lastSeq) {
        this.lastSeq = lastSeq;
    }

    public WebSocketSplit toSplit() {
        return new WebSocketSplit(url, lastSeq);
    }
}
