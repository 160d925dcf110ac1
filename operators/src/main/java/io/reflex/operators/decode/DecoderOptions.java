package io.reflex.operators.decode;

import java.io.Serializable;

/**
 * How to turn a JSON record into an {@link io.reflex.operators.model.Event}.
 *
 * @param keyPointer JSON pointer to the entity key (a string or an integer), for example {@code
 *     /symbol}
 * @param eventTimePointer JSON pointer to the event time (epoch milliseconds, or an ISO-8601
 *     instant), or null to use the record's own timestamp
 * @param idPointer JSON pointer to a source-unique id, or null to use the source coordinates
 * @param maxRecordBytes records larger than this go to the dead-letter topic
 */
public record DecoderOptions(
        String keyPointer, String eventTimePointer, String idPointer, int maxRecordBytes)
        implements Serializable {

    public static final int DEFAULT_MAX_RECORD_BYTES = 64 * 1024;
}
