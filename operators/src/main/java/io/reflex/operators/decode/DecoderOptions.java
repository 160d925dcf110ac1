package io.reflex.operators.decode;

import io.reflex.connectors.config.Option;
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

    public static final Option<String> KEY =
            Option.key("key")
                    .pointerType()
                    .required()
                    .withDescription("JSON pointer to the entity key (a string or an integer)");

    public static final Option<String> EVENT_TIME =
            Option.key("event-time")
                    .pointerType()
                    .noDefaultValue()
                    .withDefaultText("record timestamp")
                    .withDescription(
                            "JSON pointer to the event time: epoch milliseconds or an ISO-8601"
                                    + " instant");

    public static final Option<String> EVENT_ID =
            Option.key("event-id")
                    .pointerType()
                    .noDefaultValue()
                    .withDefaultText("`topic/partition/offset`")
                    .withDescription("JSON pointer to a source-unique id, used to drop replays");

    public static final Option<Integer> MAX_RECORD_BYTES =
            Option.key("max-record-bytes")
                    .intType()
                    .defaultValue(64 * 1024)
                    .between(1, 64 * 1024 * 1024)
                    .withDescription("larger records are dead-lettered");

    public static final Option<Integer> MAX_KEY_BYTES =
            Option.key("max-key-bytes")
                    .intType()
                    .defaultValue(1024)
                    .between(1, 1024 * 1024)
                    .withDescription(
                            "records whose entity key is longer (in UTF-8) are dead-lettered: the"
                                    + " key is in every state entry, record key and prompt of its"
                                    + " entity");

    /** Kafka's own default for {@code message.timestamp.after.max.ms}. */
    public static final Option<Duration> MAX_TIME_AHEAD =
            Option.key("max-time-ahead")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription(
                            "records whose event time is further ahead of the wall clock are"
                                    + " dead-lettered: one would move its partition's watermark"
                                    + " years ahead (Kafka's own default for"
                                    + " `message.timestamp.after.max.ms`)");

    /** Options with the default key and event-time limits. */
    public DecoderOptions(
            String keyPointer, String eventTimePointer, String idPointer, int maxRecordBytes) {
        this(
                keyPointer,
                eventTimePointer,
                idPointer,
                maxRecordBytes,
                MAX_KEY_BYTES.defaultValue(),
                MAX_TIME_AHEAD.defaultValue().toMillis());
    }
}
