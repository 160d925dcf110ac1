package io.reflex.connectors.websocket.split;

import org.apache.flink.api.connector.source.SourceSplit;

/**
 * One endpoint, with the last sequence number the job has taken from it (-1 for none) and how many
 * messages without a sequence number (malformed ones, for example) it took after that one: a
 * resumed feed sends those again, and the reader drops that many. Its id is the URL.
 */
public final class WebSocketSplit implements SourceSplit {
    private final String url;
    private final long lastSeq;
    private final int unsequencedAfter;

    public WebSocketSplit(String url, long lastSeq) {
        this(url, lastSeq, 0);
    }

    public WebSocketSplit(String url, long lastSeq, int unsequencedAfter) {
        this.url = url;
        this.lastSeq = lastSeq;
        this.unsequencedAfter = unsequencedAfter;
    }

    /** Messages without a sequence number taken after {@link #lastSeq}. */
    public int unsequencedAfter() {
        return unsequencedAfter;
    }

    public String url() {
        return url;
    }

    public long lastSeq() {
        return lastSeq;
    }

    @Override
    public String splitId() {
        return url;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WebSocketSplit s
                && s.url.equals(url)
                && s.lastSeq == lastSeq
                && s.unsequencedAfter == unsequencedAfter;
    }

    @Override
    public int hashCode() {
        return (url.hashCode() * 31 + Long.hashCode(lastSeq)) * 31 + unsequencedAfter;
    }

    @Override
    public String toString() {
        return "WebSocketSplit["
                + url
                + ", lastSeq="
                + lastSeq
                + (unsequencedAfter > 0 ? ", unsequencedAfter=" + unsequencedAfter : "")
                + "]";
    }
}
