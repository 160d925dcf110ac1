package io.reflex.operators.decode;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Event;
import io.reflex.operators.model.Json;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Turns raw JSON bytes into an {@link Event}, or into a {@link DeadLetter} that says why not. It
 * never throws on data: non-JSON, invalid UTF-8, a missing or mistyped key or event time, and
 * oversized records all become dead letters with the raw bytes.
 */
public final class EventDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final DecoderOptions options;
    private transient JsonPointer key;
    private transient JsonPointer time;
    private transient JsonPointer id;

    public EventDecoder(DecoderOptions options) {
        this.options = options;
    }

    /**
     * Decodes one record.
     *
     * @param source the source's name in the job file; becomes {@link Event#source()}
     * @param origin where the record came from (a topic, a URL), for dead letters and default ids
     * @param partition the partition, or -1
     * @param offset the offset or sequence, or -1
     * @param recordTimestamp the record's own timestamp, used when no event-time pointer is set
     * @param value the raw bytes
     */
    public Decoded decode(
            String source,
            String origin,
            int partition,
            long offset,
            long recordTimestamp,
            byte[] value) {
        if (key == null) {
            key = JsonPointer.compile(options.keyPointer());
            time =
                    options.eventTimePointer() == null
                            ? null
                            : JsonPointer.compile(options.eventTimePointer());
            id = options.idPointer() == null ? null : JsonPointer.compile(options.idPointer());
        }
        if (value == null || value.length == 0) {
            return bad("empty record", origin, partition, offset, null, value, recordTimestamp);
        }
        if (value.length > options.maxRecordBytes()) {
            return bad(
                    "record of "
                            + value.length
                            + " bytes exceeds the limit of "
                            + options.maxRecordBytes(),
                    origin,
                    partition,
                    offset,
                    null,
                    value,
                    recordTimestamp);
        }
        String text;
        try {
            text = strictUtf8(value);
        } catch (CharacterCodingException e) {
            return bad("invalid UTF-8", origin, partition, offset, null, value, recordTimestamp);
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return bad(
                    "not JSON: " + e.getOriginalMessage(),
                    origin,
                    partition,
                    offset,
                    null,
                    value,
                    recordTimestamp);
        }
        if (root == null || !root.isObject()) {
            return bad(
                    "not a JSON object", origin, partition, offset, null, value, recordTimestamp);
        }
        JsonNode keyNode = root.at(key);
        if (keyNode.isMissingNode() || keyNode.isNull()) {
            return bad(
                    "missing key at " + key,
                    origin,
                    partition,
                    offset,
                    null,
                    value,
                    recordTimestamp);
        }
        if (!keyNode.isTextual() && !keyNode.isIntegralNumber()) {
            return bad(
                    "key at " + key + " is " + describe(keyNode) + ", expected a string",
                    origin,
                    partition,
                    offset,
                    null,
                    value,
                    recordTimestamp);
        }
        String entity = keyNode.asText();
        if (entity.isEmpty()) {
            return bad(
                    "empty key at " + key, origin, partition, offset, null, value, recordTimestamp);
        }
        long eventTime = recordTimestamp;
        if (time != null) {
            JsonNode t = root.at(time);
            if (t.isMissingNode() || t.isNull()) {
                return bad(
                        "missing event time at " + time,
                        origin,
                        partition,
                        offset,
                        entity,
                        value,
                        recordTimestamp);
            }
            if (t.isIntegralNumber() && t.canConvertToLong()) {
                eventTime = t.longValue();
            } else if (t.isTextual()) {
                try {
                    eventTime = Instant.parse(t.textValue()).toEpochMilli();
                } catch (DateTimeParseException e) {
                    return bad(
                            "event time at " + time + " is not an ISO-8601 instant",
                            origin,
                            partition,
                            offset,
                            entity,
                            value,
                            recordTimestamp);
                }
            } else {
                return bad(
                        "event time at "
                                + time
                                + " is "
                                + describe(t)
                                + ", expected epoch milliseconds",
                        origin,
                        partition,
                        offset,
                        entity,
                        value,
                        recordTimestamp);
            }
            if (eventTime < 0) {
                return bad(
                        "negative event time at " + time,
                        origin,
                        partition,
                        offset,
                        entity,
                        value,
                        recordTimestamp);
            }
        }
        String eventId = null;
        if (id != null) {
            JsonNode i = root.at(id);
            if (i.isTextual() || i.isIntegralNumber()) {
                eventId = i.asText();
            }
        }
        if (eventId == null || eventId.isEmpty()) {
            eventId = origin + "/" + partition + "/" + offset;
        }
        return Decoded.ok(new Event(source, entity, eventTime, eventId, text));
    }

    private static Decoded bad(
            String reason,
            String source,
            int partition,
            long offset,
            String key,
            byte[] raw,
            long timestamp) {
        return Decoded.bad(
                DeadLetter.of(DeadLetter.STAGE_DECODE, reason, source, partition, offset, key, raw),
                timestamp);
    }

    private static String strictUtf8(byte[] value) throws CharacterCodingException {
        CharsetDecoder decoder =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars = decoder.decode(ByteBuffer.wrap(value));
        return chars.toString();
    }

    private static String describe(JsonNode node) {
        return "a " + node.getNodeType().name().toLowerCase();
    }
}
