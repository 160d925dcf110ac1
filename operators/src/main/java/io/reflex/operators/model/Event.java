package io.reflex.operators.model;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One decoded input record: where it came from, the entity it is about, when it happened, its JSON
 * payload, and the values the rules read, taken from the payload when it was decoded so that the
 * detector does not parse it again. {@code Event} travels between tasks but is never kept in state,
 * so it may change between versions.
 *
 * @param source where the record came from, for example {@code kafka:market.trades}
 * @param key the entity key the pipeline partitions by
 * @param eventTime event time in epoch milliseconds
 * @param id an id unique within the source; used to dedupe replays
 * @param payload the record's JSON object, as text
 * @param numbers for each of the job's rule fields (see {@link #fieldValues}), the value there when
 *     it is a finite number, else {@code NaN}; null when the decoder was given no fields
 * @param texts for each rule field, the value there when it is a string, else null; null as a whole
 *     when the decoder was given no fields
 */
@TypeInfo(EventSerializer.Factory.class)
public record Event(
        String source,
        String key,
        long eventTime,
        String id,
        String payload,
        double[] numbers,
        String[] texts) {

    /** An event whose rule values are read from its payload when they are needed. */
    public Event(String source, String key, long eventTime, String id, String payload) {
        this(source, key, eventTime, id, payload, null, null);
    }

    /** Whether the event carries the values of exactly {@code fields} fields. */
    public boolean hasValues(int fields) {
        return numbers != null
                && texts != null
                && numbers.length == fields
                && texts.length == fields;
    }

    /**
     * Reads the value at each pointer of {@code fields}: a finite number into {@code numbers}
     * ({@code NaN} otherwise; {@code 1e400} parses as infinity and is not one), a string into
     * {@code texts} (null otherwise).
     */
    public static void fieldValues(
            JsonNode root, JsonPointer[] fields, double[] numbers, String[] texts) {
        for (int i = 0; i < fields.length; i++) {
            JsonNode v = root.at(fields[i]);
            numbers[i] =
                    v.isNumber() && Double.isFinite(v.doubleValue()) ? v.doubleValue() : Double.NaN;
            texts[i] = v.isTextual() ? v.textValue() : null;
        }
    }

    /** The compiled pointers of {@code fields}. */
    public static JsonPointer[] pointers(List<String> fields) {
        JsonPointer[] out = new JsonPointer[fields.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = JsonPointer.compile(fields.get(i));
        }
        return out;
    }
}
