package io.reflex.operators.detect;

/** A recent event kept for trigger context. A Flink POJO. */
public class RecentEvent {
    public String id;
    public long eventTime;
    public String source;

    /** The payload, cut to the context limit. */
    public String payload;

    public RecentEvent() {}

    public RecentEvent(String id, long eventTime, String source, String payload) {
        this.id = id;
        this.eventTime = eventTime;
        this.source = source;
        this.payload = payload;
    }
}
