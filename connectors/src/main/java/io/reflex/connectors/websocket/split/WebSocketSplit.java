package io.reflex.connectors.websocket.split;

import org.apache.flink.api.connector.source.SourceSplit;

/**
 * One endpoint, with the last sequence number the job has taken from it (-1 for none). Its id is
 * the URL.
 */
public final class WebSocketSplit implements SourceSplit {
    private final String url;
    private final long lastSeq;

    public WebSocketSplit(String url, long lastSeq) {
        this.url = url;
        this.lastSeq = lastSeq;
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
        return o instanceof WebSocketSplit s && s.url.equals(url) && s.lastSeq == lastSeq;
    }

    @Override
    public int hashCode() {
        return url.hashCode() * 31 + Long.hashCode(lastSeq);
    }

    @Override
    public String toString() {
        return "WebSocketSplit[" + url + ", lastSeq=" + lastSeq + "]";
    }
}
