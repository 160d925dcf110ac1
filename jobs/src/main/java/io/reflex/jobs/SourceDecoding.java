package io.reflex.jobs;

import io.reflex.operators.decode.Decoded;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/** What every source of the job shares: event-time watermarks from the decoded records. */
public final class SourceDecoding {
    private SourceDecoding() {}

    /** Event time from the decoded payload, with bounded out-of-orderness and idleness. */
    public static WatermarkStrategy<Decoded> watermarks(
            Duration maxOutOfOrderness, Duration idleTimeout) {
        return WatermarkStrategy.<Decoded>forBoundedOutOfOrderness(maxOutOfOrderness)
                .withTimestampAssigner((d, ts) -> d.timestamp())
                .withIdleness(idleTimeout);
    }
}
