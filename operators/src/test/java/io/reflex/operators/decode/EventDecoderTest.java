package io.reflex.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Event;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
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
        assertThat(Base64.getDecoder().decode(dl.rawBase64()))
                .isEqualTo("nope".getBytes(StandardCharsets.UTF_8));
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
}
