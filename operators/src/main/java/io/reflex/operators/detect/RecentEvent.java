package io.reflex.operators.detect;

/** A recent event kept for trigger context. A Flink POJO. */
public class RecentEvent {
    public String id;
    public long eventTime;
    public String source;

    /** The payload, cut to the context limit. */
    public String payload;

    /**
     * The event's place among its key's recent events, 0 for the first: it orders the slots of the
     * ring ({@link Detector#RECENT_SLOTS_STATE_NAME}). Added after 0.1, whose events read back with
     * 0, in the order of their list.
     */
    public long seq;

    public RecentEvent() {}

    public RecentEvent(String id, long eventTime, String source, String payload) {
        this.id = id;
        this.eventTime = eventTime;
        this.source = source;
        this.payload = payload;
    }

    public RecentEvent(String id, long eventTime, String source, String payload, long seq) {
        this(id, eventTime, source, payload);
        this.seq = seq;
    }
}
