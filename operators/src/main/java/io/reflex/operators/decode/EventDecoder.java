package io.reflex.operators.decode;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * Turns raw JSON bytes into an {@link Event}, or into a {@link DeadLetter} that says why not. It
 * never throws on data: non-JSON, invalid UTF-8, duplicate keys in an object, nesting deeper than
 * Jackson's limit (1000), a missing, mistyped or oversized key, an event time that is negative or
 * too far ahead of the wall clock, and oversized records all become dead letters with the raw
 * bytes. Duplicate keys are refused because parsers disagree on which value wins, so one record
 * could mean different things to Reflex and to its other consumers.
 */
public final class EventDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Like {@link Json#MAPPER}, but refusing duplicate keys. */
    private static final ObjectMapper STRICT =
            JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final DecoderOptions options;
    private final List<String> fields;
    private transient JsonPointer[] fieldPointers;
    private transient JsonPointer key;
    private transient JsonPointer time;
    private transient JsonPointer id;

    /** A decoder that leaves the rules' values to be read from the payload. */
    public EventDecoder(DecoderOptions options) {
        this(options, List.of());
    }

    /**
     * A decoder that also reads the value at each of {@code fields} (the job's rule fields, {@link
     * io.reflex.operators.detect.DetectorOptions#fields()}) into the event, so that the detector
     * does not parse the payload again.
     */
    public EventDecoder(DecoderOptions options, List<String> fields) {
        this.options = options;
        this.fields = List.copyOf(fields);
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
            fieldPointers = Event.pointers(fields);
        }
        if (value == null || value.length == 0) {
            return bad("empty record", origin, partition, offset, null, value);
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
                    value);
        }
        String text;
        try {
            text = strictUtf8(value);
        } catch (CharacterCodingException e) {
            return bad("invalid UTF-8", origin, partition, offset, null, value);
        }
        JsonNode root;
        try {
            root = STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            return bad(
                    "not JSON: " + e.getOriginalMessage(), origin, partition, offset, null, value);
        }
        if (root == null || !root.isObject()) {
            return bad("not a JSON object", origin, partition, offset, null, value);
        }
        JsonNode keyNode = root.at(key);
        if (keyNode.isMissingNode() || keyNode.isNull()) {
            return bad("missing key at " + key, origin, partition, offset, null, value);
        }
        if (!keyNode.isTextual() && !keyNode.isIntegralNumber()) {
            return bad(
                    "key at " + key + " is " + describe(keyNode) + ", expected a string",
                    origin,
                    partition,
                    offset,
                    null,
                    value);
        }
        String entity = keyNode.asText();
        if (entity.isEmpty()) {
            return bad("empty key at " + key, origin, partition, offset, null, value);
        }
        if (entity.length() * 3L > options.maxKeyBytes()) {
            int keyBytes = entity.getBytes(StandardCharsets.UTF_8).length;
            if (keyBytes > options.maxKeyBytes()) {
                return bad(
                        "key at "
                                + key
                                + " of "
                                + keyBytes
                                + " bytes exceeds the limit of "
                                + options.maxKeyBytes(),
                        origin,
                        partition,
                        offset,
                        null,
                        value);
            }
        }
        long eventTime = recordTimestamp;
        if (time != null) {
            JsonNode t = root.at(time);
            if (t.isMissingNode() || t.isNull()) {
                return bad(
                        "missing event time at " + time, origin, partition, offset, entity, value);
            }
            if (t.isIntegralNumber() && t.canConvertToLong()) {
                eventTime = t.longValue();
            } else if (t.isTextual()) {
                try {
                    eventTime = Instant.parse(t.textValue()).toEpochMilli();
                } catch (DateTimeParseException | ArithmeticException e) {
                    return bad(
                            "event time at " + time + " is not an ISO-8601 instant",
                            origin,
                            partition,
                            offset,
                            entity,
                            value);
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
                        value);
            }
        }
        if (eventTime < 0) {
            return bad(
                    "negative event time " + (time == null ? "(record timestamp)" : "at " + time),
                    origin,
                    partition,
                    offset,
                    entity,
                    value);
        }
        long ahead = eventTime - System.currentTimeMillis();
        if (ahead > options.maxTimeAheadMs()) {
            return bad(
                    "event time "
                            + Instant.ofEpochMilli(eventTime)
                            + " is more than "
                            + Duration.ofMillis(options.maxTimeAheadMs())
                            + " ahead of the wall clock",
                    origin,
                    partition,
                    offset,
                    entity,
                    value);
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
        if (fieldPointers.length == 0) {
            return Decoded.ok(new Event(source, entity, eventTime, eventId, text));
        }
        double[] numbers = new double[fieldPointers.length];
        String[] texts = new String[fieldPointers.length];
        Event.fieldValues(root, fieldPointers, numbers, texts);
        return Decoded.ok(new Event(source, entity, eventTime, eventId, text, numbers, texts));
    }

    private static Decoded bad(
            String reason, String source, int partition, long offset, String key, byte[] raw) {
        return Decoded.bad(
                DeadLetter.of(
                        DeadLetter.STAGE_DECODE, reason, source, partition, offset, key, raw));
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
