package io.reflex.operators.decode;

import java.io.Serializable;
import java.time.Duration;

/**
 * How to turn a JSON record into an {@link io.reflex.operators.model.Event}.
 *
 * @param keyPointer JSON pointer to the entity key (a string or an integer), for example {@code
 *     /symbol}
 * @param eventTimePointer JSON pointer to the event time (epoch milliseconds, or an ISO-8601
 *     instant), or null to use the record's own timestamp
 * @param idPointer JSON pointer to a source-unique id, or null to use the source coordinates
 * @param maxRecordBytes records larger than this go to the dead-letter topic
 * @param maxKeyBytes records whose entity key is longer than this (in UTF-8) go to the dead-letter
 *     topic: the key is in every state entry, record key and prompt of its entity
 * @param maxTimeAheadMs records whose event time is more than this ahead of the wall clock go to
 *     the dead-letter topic: one such record would move its partition's watermark years ahead, fire
 *     every event-time timer and make every later record late
 */
public record DecoderOptions(
        String keyPointer,
        String eventTimePointer,
        String idPointer,
        int maxRecordBytes,
        int maxKeyBytes,
        long maxTimeAheadMs)
        implements Serializable {

    public static final int DEFAULT_MAX_RECORD_BYTES = 64 * 1024;
    public static final int DEFAULT_MAX_KEY_BYTES = 1024;

    /** Kafka's own default for {@code message.timestamp.after.max.ms}. */
    public static final Duration DEFAULT_MAX_TIME_AHEAD = Duration.ofHours(1);

    /** Options with the default key and event-time limits. */
    public DecoderOptions(
            String keyPointer, String eventTimePointer, String idPointer, int maxRecordBytes) {
        this(
                keyPointer,
                eventTimePointer,
                idPointer,
                maxRecordBytes,
                DEFAULT_MAX_KEY_BYTES,
                DEFAULT_MAX_TIME_AHEAD.toMillis());
    }
}
