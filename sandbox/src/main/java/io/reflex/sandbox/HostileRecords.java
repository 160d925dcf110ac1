package io.reflex.sandbox;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Malformed Kafka records of every kind the decoder must dead-letter, each with the start of the
 * reason its dead letter must give. Records are for a source whose key is {@code /symbol}, event
 * time {@code /ts} and event id {@code /id}, with the decoder's default limits.
 */
public final class HostileRecords {
    /** The size of the {@link #oversized} record: under the broker's 1 MB default, over 64 KB. */
    public static final int NEAR_BROKER_LIMIT = 1_000_000;

    /**
     * One hostile record.
     *
     * @param what a name for reports
     * @param key the record key, or null
     * @param value the record value, or null for a tombstone
     * @param reasonPrefix how its dead letter's reason starts
     */
    public record Hostile(String what, byte[] key, byte[] value, String reasonPrefix) {}

    private HostileRecords() {}

    /** The small kinds, in a fixed order; {@code id} makes each record's content unique. */
    public static List<Hostile> small(String id) {
        return List.of(
                // Under the decoder's 64 KB limit, far over the parser's nesting limit.
                new Hostile("deep nesting", null, utf8("[".repeat(60_000)), "not JSON"),
                new Hostile(
                        "invalid UTF-8",
                        null,
                        concat(
                                utf8("{\"id\":\"" + id + "\",\"a\":\""),
                                new byte[] {(byte) 0xC3, 0x28},
                                utf8("\"}")),
                        "invalid UTF-8"),
                new Hostile("tombstone", utf8(id), null, "empty record"),
                new Hostile("empty value", utf8(id), new byte[0], "empty record"),
                new Hostile(
                        "NaN",
                        null,
                        utf8("{\"id\":\"" + id + "\",\"symbol\":\"N\",\"ts\":1,\"price\":NaN}"),
                        "not JSON"),
                new Hostile(
                        "duplicate field",
                        null,
                        utf8("{\"id\":\"" + id + "\",\"symbol\":\"A\",\"symbol\":\"B\",\"ts\":1}"),
                        "not JSON"),
                new Hostile(
                        "truncated JSON", null, utf8("{\"id\":\"" + id + "\",\"sym"), "not JSON"),
                new Hostile("a JSON array", null, utf8("[\"" + id + "\"]"), "not a JSON object"),
                new Hostile(
                        "missing key",
                        null,
                        utf8("{\"id\":\"" + id + "\",\"ts\":1}"),
                        "missing key at /symbol"),
                new Hostile(
                        "10 KB entity key",
                        null,
                        utf8(
                                "{\"id\":\""
                                        + id
                                        + "\",\"symbol\":\""
                                        + "K".repeat(10_240)
                                        + "\",\"ts\":1}"),
                        "key at /symbol of 10240 bytes exceeds"),
                new Hostile(
                        "year 9999",
                        null,
                        utf8(
                                "{\"id\":\""
                                        + id
                                        + "\",\"symbol\":\"Y\",\"ts\":\"9999-12-31T23:59:59Z\"}"),
                        "event time 9999-12-31T23:59:59Z is more than"),
                new Hostile(
                        "before 1970",
                        null,
                        utf8(
                                "{\"id\":\""
                                        + id
                                        + "\",\"symbol\":\"Y\",\"ts\":\"1969-07-20T20:17:00Z\"}"),
                        "negative event time at /ts"),
                new Hostile(
                        "not an instant",
                        null,
                        utf8("{\"id\":\"" + id + "\",\"symbol\":\"Y\",\"ts\":\"yesterday\"}"),
                        "event time at /ts is not an ISO-8601 instant"));
    }

    /** A record of {@link #NEAR_BROKER_LIMIT} bytes: the broker takes it, the decoder must not. */
    public static Hostile oversized(String id) {
        String head = "{\"id\":\"" + id + "\",\"symbol\":\"BIG\",\"ts\":1,\"pad\":\"";
        String pad = "x".repeat(NEAR_BROKER_LIMIT - head.length() - 2);
        return new Hostile(
                "1 MB record", null, utf8(head + pad + "\"}"), "record of " + NEAR_BROKER_LIMIT);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
