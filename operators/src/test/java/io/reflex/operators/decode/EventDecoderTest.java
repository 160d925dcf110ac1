package io.reflex.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Event;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Tests for {@link EventDecoder}. */
class EventDecoderTest {
    private final EventDecoder decoder =
            new EventDecoder(new DecoderOptions("/symbol", "/ts", "/id", 200));

    private Decoded decode(String json) {
        return decoder.decode(
                "trades", "market.trades", 1, 42, 999, json.getBytes(StandardCharsets.UTF_8));
    }

    private String reason(String json) {
        Decoded d = decode(json);
        assertThat(d.isEvent()).as("expected a dead letter for %s", json).isFalse();
        return d.deadLetter().reason();
    }

    @Test
    void decodesAGoodRecord() {
        Decoded d = decode("{\"id\":\"t1\",\"symbol\":\"ACME\",\"price\":1.5,\"ts\":1000}");
        assertThat(d.isEvent()).isTrue();
        Event e = d.event();
        assertThat(e.key()).isEqualTo("ACME");
        assertThat(e.eventTime()).isEqualTo(1000);
        assertThat(e.id()).isEqualTo("t1");
        assertThat(e.source()).isEqualTo("trades");
        assertThat(d.timestamp()).isEqualTo(1000);
    }

    @Test
    void readsTheRulesFieldsOnceSoTheDetectorNeedNotParseAgain() {
        EventDecoder withFields =
                new EventDecoder(
                        new DecoderOptions("/symbol", "/ts", "/id", 200),
                        java.util.List.of("/price", "/volume", "/note", "/missing"));
        Event e =
                withFields
                        .decode(
                                "trades",
                                "market.trades",
                                1,
                                42,
                                999,
                                ("{\"id\":\"t1\",\"symbol\":\"ACME\",\"price\":1.5,"
                                                + "\"volume\":1e400,\"note\":\"halt\",\"ts\":1000}")
                                        .getBytes(StandardCharsets.UTF_8))
                        .event();
        assertThat(e.hasValues(4)).isTrue();
        assertThat(e.numbers()).containsExactly(1.5, Double.NaN, Double.NaN, Double.NaN);
        assertThat(e.texts()).containsExactly(null, null, "halt", null);
        assertThat(decode("{\"id\":\"t1\",\"symbol\":\"ACME\",\"ts\":1000}").event().hasValues(0))
                .as("no fields asked for: none carried")
                .isFalse();
    }

    @Test
    void acceptsIntegerKeysAndIsoTimesAndFallsBackToCoordinatesForTheId() {
        Event e = decode("{\"symbol\":7,\"ts\":\"2025-01-01T00:00:00Z\"}").event();
        assertThat(e.key()).isEqualTo("7");
        assertThat(e.eventTime()).isEqualTo(1735689600000L);
        assertThat(e.id()).isEqualTo("market.trades/1/42");
    }

    @Test
    void deadLettersEachKindOfBadRecordWithItsReasonAndCoordinates() {
        assertThat(reason("nope")).startsWith("not JSON");
        assertThat(reason("[1]")).isEqualTo("not a JSON object");
        assertThat(reason("{\"ts\":1}")).isEqualTo("missing key at /symbol");
        assertThat(reason("{\"symbol\":null,\"ts\":1}")).isEqualTo("missing key at /symbol");
        assertThat(reason("{\"symbol\":1.5,\"ts\":1}"))
                .isEqualTo("key at /symbol is a number, expected a string");
        assertThat(reason("{\"symbol\":\"\",\"ts\":1}")).isEqualTo("empty key at /symbol");
        assertThat(reason("{\"symbol\":\"A\"}")).isEqualTo("missing event time at /ts");
        assertThat(reason("{\"symbol\":\"A\",\"ts\":true}"))
                .isEqualTo("event time at /ts is a boolean, expected epoch milliseconds");
        assertThat(reason("{\"symbol\":\"A\",\"ts\":\"soon\"}"))
                .isEqualTo("event time at /ts is not an ISO-8601 instant");
        assertThat(reason("{\"symbol\":\"A\",\"ts\":-5}")).isEqualTo("negative event time at /ts");
        String big = "{\"symbol\":\"A\",\"ts\":1,\"x\":\"" + "y".repeat(300) + "\"}";
        assertThat(reason(big))
                .isEqualTo("record of " + big.length() + " bytes exceeds the limit of 200");

        DeadLetter dl = decode("nope").deadLetter();
        assertThat(dl.stage()).isEqualTo(DeadLetter.STAGE_DECODE);
        assertThat(dl.source()).isEqualTo("market.trades");
        assertThat(dl.partition()).isEqualTo(1);
        assertThat(dl.offset()).isEqualTo(42);
        assertThat(dl.raw()).isEqualTo("nope".getBytes(StandardCharsets.UTF_8));
        assertThat(decode("nope").timestamp())
                .as("a bad record's timestamp must not move the watermark")
                .isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void deadLettersInvalidUtf8AndEmptyRecords() {
        Decoded bad = decoder.decode("trades", "t", 0, 1, 2, new byte[] {'{', (byte) 0xC3, '}'});
        assertThat(bad.deadLetter().reason()).isEqualTo("invalid UTF-8");
        assertThat(decoder.decode("trades", "t", 0, 1, 2, null).deadLetter().reason())
                .isEqualTo("empty record");
    }

    @Test
    void usesTheRecordTimestampWithoutAnEventTimePointer() {
        EventDecoder noTime = new EventDecoder(new DecoderOptions("/k", null, null, 100));
        Decoded d = noTime.decode("s", "t", 0, 5, 777, "{\"k\":\"a\"}".getBytes());
        assertThat(d.event().eventTime()).isEqualTo(777);
    }

    @Test
    void deadLettersHostileJson() {
        assertThat(reason("{\"symbol\":\"A\",\"ts\":1,\"symbol\":\"B\"}"))
                .startsWith("not JSON: Duplicate field 'symbol'");
        EventDecoder wide = new EventDecoder(new DecoderOptions("/symbol", "/ts", "/id", 1 << 20));
        assertThat(
                        wide.decode("s", "t", 0, 1, 2, "[".repeat(100_000).getBytes())
                                .deadLetter()
                                .reason())
                .startsWith("not JSON: Document nesting depth");
        assertThat(reason("{\"symbol\":\"A\",\"ts\":1,\"p\":NaN}")).startsWith("not JSON");
        assertThat(reason("{\"symbol\":\"A\",\"ts\":\"+1000000000-01-01T00:00:00Z\"}"))
                .isEqualTo("event time at /ts is not an ISO-8601 instant");
        assertThat(reason("{\"symbol\":\"A\",\"ts\":\"1969-12-31T23:59:59Z\"}"))
                .isEqualTo("negative event time at /ts");
        assertThat(reason("{\"symbol\":\"A\",\"ts\":\"9999-12-31T23:59:59Z\"}"))
                .isEqualTo(
                        "event time 9999-12-31T23:59:59Z is more than PT1H ahead of the wall"
                                + " clock");
        // An event time within the window ahead is an event.
        long soon = System.currentTimeMillis() + 60_000;
        assertThat(decode("{\"symbol\":\"A\",\"ts\":" + soon + "}").isEvent()).isTrue();
    }

    @Test
    void deadLettersOversizedKeys() {
        EventDecoder d = new EventDecoder(new DecoderOptions("/k", null, null, 1 << 20, 8, 1000));
        assertThat(d.decode("s", "t", 0, 1, 2, "{\"k\":\"12345678\"}".getBytes()).isEvent())
                .isTrue();
        assertThat(
                        d.decode("s", "t", 0, 1, 2, "{\"k\":\"123456789\"}".getBytes())
                                .deadLetter()
                                .reason())
                .isEqualTo("key at /k of 9 bytes exceeds the limit of 8");
        // Three bytes a character in UTF-8: 3 characters are 9 bytes.
        assertThat(
                        d.decode(
                                        "s",
                                        "t",
                                        0,
                                        1,
                                        2,
                                        "{\"k\":\"\u20ac\u20ac\u20ac\"}"
                                                .getBytes(StandardCharsets.UTF_8))
                                .deadLetter()
                                .reason())
                .isEqualTo("key at /k of 9 bytes exceeds the limit of 8");
    }

    @Test
    void deadLettersRecordsWithoutATimestamp() {
        EventDecoder noTime = new EventDecoder(new DecoderOptions("/k", null, null, 100));
        assertThat(
                        noTime.decode("s", "t", 0, 1, -1, "{\"k\":\"a\"}".getBytes())
                                .deadLetter()
                                .reason())
                .isEqualTo("negative event time (record timestamp)");
    }
}
