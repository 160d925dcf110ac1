package io.reflex.jobs;

import io.reflex.operators.decode.Decoded;
import io.reflex.operators.decode.DecoderOptions;
import io.reflex.operators.decode.EventDecoder;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/** What every source of the job shares: decoding into events, and event-time watermarks. */
public final class SourceDecoding {
    private SourceDecoding() {}

    /** The decoder for a source's key, event-time and id pointers and size limit. */
    public static EventDecoder decoder(
            String keyPointer, String eventTimePointer, String idPointer, int maxRecordBytes) {
        return new EventDecoder(
                new DecoderOptions(keyPointer, eventTimePointer, idPointer, maxRecordBytes));
    }

    /** Event time from the decoded payload, with bounded out-of-orderness and idleness. */
    public static WatermarkStrategy<Decoded> watermarks(
            Duration maxOutOfOrderness, Duration idleTimeout) {
        return WatermarkStrategy.<Decoded>forBoundedOutOfOrderness(maxOutOfOrderness)
                .withTimestampAssigner((d, ts) -> d.timestamp())
                .withIdleness(idleTimeout);
    }
}
