package io.reflex.operators.detect;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.model.Event;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Tests for {@link Detector} and its rules, on Flink's keyed operator test harness. */
class DetectorTest {

    private static RuleSpec changePct(long windowMs, double pct, long cooldownMs) {
        return new RuleSpec(
                "move",
                RuleType.CHANGE_PCT,
                List.of(),
                "/price",
                windowMs,
                pct,
                0,
                0,
                0,
                null,
                0,
                cooldownMs);
    }

    private static RuleSpec zscore(double alpha, double threshold, int minCount) {
        return new RuleSpec(
                "spike",
                RuleType.ZSCORE,
                List.of(),
                "/volume",
                0,
                0,
                alpha,
                threshold,
                minCount,
                null,
                0,
                0);
    }

    private static RuleSpec match(String pattern, List<String> sources) {
        return new RuleSpec(
                "news", RuleType.MATCH, sources, "/headline", 0, 0, 0, 0, 0, pattern, 0, 0);
    }

    private static RuleSpec absence(long afterMs) {
        return new RuleSpec(
                "silence", RuleType.ABSENCE, List.of(), null, 0, 0, 0, 0, 0, null, afterMs, 0);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Event, Trigger> harness(
            RuleSpec... rules) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Trigger> h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new Detector(DetectorOptions.withRules(List.of(rules)))),
                        Event::key,
                        Types.STRING);
        h.open();
        return h;
    }

    private static Event trade(String id, String key, double price, long volume, long ts) {
        return new Event(
                "trades",
                key,
                ts,
                id,
                "{\"symbol\":\""
                        + key
                        + "\",\"price\":"
                        + price
                        + ",\"volume\":"
                        + volume
                        + ",\"ts\":"
                        + ts
                        + "}");
    }

    private static Event news(String id, String key, String headline, long ts) {
        return new Event(
                "news",
                key,
                ts,
                id,
                "{\"symbol\":\"" + key + "\",\"headline\":\"" + headline + "\"}");
    }

    /** The event as the job's decoder makes it: with the rules' values read once. */
    private static Event decoded(Event e, DetectorOptions options) {
        Event d =
                new io.reflex.operators.decode.EventDecoder(
                                new io.reflex.operators.decode.DecoderOptions(
                                        "/symbol", null, null, 1 << 20),
                                options.fields())
                        .decode(
                                e.source(),
                                "t",
                                0,
                                0,
                                e.eventTime(),
                                e.payload().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .event();
        return new Event(
                e.source(), e.key(), e.eventTime(), e.id(), e.payload(), d.numbers(), d.texts());
    }

    /**
     * The rules see the same values whether the decoder carried them in the event or the detector
     * reads them from the payload: the same triggers, with the same contexts, come out.
     */
    @Test
    void valuesCarriedFromDecodeFireExactlyAsValuesReadFromThePayload() throws Exception {
        RuleSpec[] rules = {changePct(60_000, 5, 0), zscore(0.2, 2, 5), match("halt", List.of())};
        DetectorOptions options = DetectorOptions.withRules(List.of(rules));
        assertThat(options.fields()).containsExactly("/price", "/volume", "/headline");
        var fromPayload = harness(rules);
        var fromDecode = harness(rules);
        long ts = 1_000;
        for (int i = 0; i < 40; i++) {
            Event e =
                    i % 7 == 6
                            ? news("n" + i, "ACME", i == 20 ? "ACME halt" : "calm", ts)
                            : trade(
                                    "t" + i,
                                    "ACME",
                                    100 + (i == 30 ? 20 : i % 3),
                                    i == 25 ? 900 : 10 + i % 4,
                                    ts);
            Event withValues = decoded(e, options);
            assertThat(withValues.hasValues(3)).isTrue();
            fromPayload.processElement(e, ts);
            fromDecode.processElement(withValues, ts);
            ts += 100;
        }
        List<Trigger> expected = fromPayload.extractOutputValues();
        assertThat(expected).extracting(Trigger::rule).contains("move", "spike", "news");
        assertThat(fromDecode.extractOutputValues()).isEqualTo(expected);
    }

    @Test
    void changePctFiresOnAMoveWithinTheWindowWithContext() throws Exception {
        var h = harness(changePct(60_000, 5, 0));
        h.processElement(trade("t1", "ACME", 100, 1, 1_000), 1_000);
        h.processElement(trade("t2", "ACME", 103, 1, 2_000), 2_000);
        h.processElement(trade("t3", "ACME", 106, 1, 3_000), 3_000);
        h.processElement(trade("g1", "GLOBX", 50, 1, 3_000), 3_000);

        List<Trigger> out = h.extractOutputValues();
        assertThat(out).hasSize(1);
        Trigger t = out.get(0);
        assertThat(t.rule()).isEqualTo("move");
        assertThat(t.key()).isEqualTo("ACME");
        assertThat(t.eventIds()).containsExactly("t3");
        JsonNode ctx = Json.MAPPER.readTree(t.context());
        assertThat(ctx.at("/rule/change_pct").asDouble()).isEqualTo(6.0);
        assertThat(ctx.get("recent_events")).hasSize(3);
        assertThat(ctx.at("/recent_events/2/data/price").asDouble()).isEqualTo(106.0);
        assertThat(ctx.at("/stats/move/count").asLong()).isEqualTo(3);
    }

    @Test
    void contextKeepsTheNewestEventsAcrossTrims() throws Exception {
        DetectorOptions o = DetectorOptions.withRules(List.of(changePct(600_000, 5, 0)));
        var h = harness(o.rules().get(0));
        int n = 3 * o.contextEvents() + 1; // trimmed twice on the way
        for (int i = 0; i < n; i++) {
            h.processElement(trade("t" + i, "ACME", 100, 1, 1_000 + i), 1_000 + i);
        }
        h.processElement(trade("jump", "ACME", 120, 1, 5_000), 5_000);
        JsonNode ctx = Json.MAPPER.readTree(h.extractOutputValues().get(0).context());
        JsonNode events = ctx.get("recent_events");
        assertThat(events).hasSize(o.contextEvents());
        assertThat(events.get(o.contextEvents() - 1).get("id").asText()).isEqualTo("jump");
        assertThat(events.get(0).get("id").asText()).isEqualTo("t" + (n - o.contextEvents() + 1));
    }

    @Test
    void changePctForgetsValuesOutsideTheWindow() throws Exception {
        var h = harness(changePct(1_000, 5, 0));
        h.processElement(trade("t1", "ACME", 100, 1, 1_000), 1_000);
        h.processElement(trade("t2", "ACME", 110, 1, 5_000), 5_000);
        assertThat(h.extractOutputValues()).isEmpty();
    }

    @Test
    void cooldownSuppressesRepeatsPerKeyAndRule() throws Exception {
        var h = harness(changePct(60_000, 5, 10_000));
        h.processElement(trade("t1", "ACME", 100, 1, 1_000), 1_000);
        h.processElement(trade("t2", "ACME", 110, 1, 2_000), 2_000); // fires
        h.processElement(trade("t3", "ACME", 120, 1, 3_000), 3_000); // cooling down
        h.processElement(trade("t4", "ACME", 130, 1, 13_000), 13_000); // fires again
        assertThat(h.extractOutputValues())
                .extracting(t -> t.eventIds().get(0))
                .containsExactly("t2", "t4");
    }

    @Test
    void zscoreFiresOnAnOutlierOnlyAfterMinCount() throws Exception {
        var h = harness(zscore(0.1, 4, 10));
        long ts = 0;
        for (int i = 0; i < 30; i++) {
            h.processElement(trade("v" + i, "ACME", 1, 100 + (i % 3), ts), ts++);
        }
        assertThat(h.extractOutputValues()).isEmpty();
        h.processElement(trade("big", "ACME", 1, 5_000, ts), ts);
        List<Trigger> out = h.extractOutputValues();
        assertThat(out).hasSize(1);
        assertThat(Json.MAPPER.readTree(out.get(0).context()).at("/rule/zscore").asDouble())
                .isGreaterThan(4);
    }

    @Test
    void zscoreSurvivesInfiniteAndOverflowingValues() throws Exception {
        var h = harness(zscore(0.1, 4, 10));
        long ts = 0;
        for (int i = 0; i < 30; i++) {
            h.processElement(trade("v" + i, "ACME", 1, 100 + (i % 3), ts), ts++);
        }
        // 1e400 parses as infinity and is ignored; 1e300 overflows the variance, which restarts.
        h.processElement(new Event("trades", "ACME", ts, "inf", "{\"volume\":1e400}"), ts++);
        h.processElement(new Event("trades", "ACME", ts, "huge", "{\"volume\":-1e300}"), ts++);
        h.processElement(new Event("trades", "ACME", ts, "huge2", "{\"volume\":1e300}"), ts++);
        int before = h.extractOutputValues().size();
        for (int i = 0; i < 30; i++) {
            h.processElement(trade("w" + i, "ACME", 1, 100 + (i % 3), ts), ts++);
        }
        h.processElement(trade("big", "ACME", 1, 5_000, ts), ts);
        List<Trigger> out = h.extractOutputValues();
        assertThat(out.subList(before, out.size()))
                .as("the rule still fires on a real outlier")
                .extracting(Trigger::eventIds)
                .contains(List.of("big"));
    }

    @Test
    void matchFiresOnlyForItsSources() throws Exception {
        var h = harness(match("(?i)fraud|recall", List.of("news")));
        h.processElement(news("n1", "ACME", "ACME in fraud probe", 1), 1);
        h.processElement(news("n2", "ACME", "ACME opens office", 2), 2);
        h.processElement(new Event("other", "ACME", 3, "o1", "{\"headline\":\"fraud\"}"), 3);
        List<Trigger> out = h.extractOutputValues();
        assertThat(out).extracting(Trigger::eventIds).containsExactly(List.of("n1"));
        assertThat(Json.MAPPER.readTree(out.get(0).context()).at("/rule/matched").asText())
                .isEqualTo("fraud");
    }

    @Test
    void replayedEventIdsAreDroppedOnce() throws Exception {
        var h = harness(match("fraud", List.of()));
        h.processElement(news("n1", "ACME", "fraud", 1), 1);
        h.processElement(news("n1", "ACME", "fraud", 1), 1);
        assertThat(h.extractOutputValues()).hasSize(1);
    }

    @Test
    void absenceFiresWhenEventTimePassesTheSilenceAndLeavesNoTimer() throws Exception {
        var h = harness(absence(10_000));
        h.processElement(trade("t1", "ACME", 1, 1, 1_000), 1_000);
        h.processElement(trade("t2", "ACME", 1, 1, 5_000), 5_000); // re-arms to 15s
        assertThat(h.numEventTimeTimers()).isEqualTo(1);
        h.processWatermark(14_999);
        assertThat(h.extractOutputValues()).isEmpty();
        h.processWatermark(15_000);
        List<Trigger> out = h.extractOutputValues();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).rule()).isEqualTo("silence");
        assertThat(out.get(0).eventIds()).containsExactly("t2");
        assertThat(out.get(0).eventTime()).isEqualTo(15_000);
        assertThat(h.numEventTimeTimers()).isZero();
    }

    @Test
    void stateIsKeptPerKeyAndSurvivesASnapshot() throws Exception {
        var h = harness(changePct(60_000, 5, 0));
        h.processElement(trade("t1", "ACME", 100, 1, 1_000), 1_000);
        var snapshot = h.snapshot(1, 1);
        h.close();

        var restored =
                new KeyedOneInputStreamOperatorTestHarness<String, Event, Trigger>(
                        new KeyedProcessOperator<>(
                                new Detector(
                                        DetectorOptions.withRules(
                                                List.of(changePct(60_000, 5, 0))))),
                        Event::key,
                        Types.STRING);
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(trade("t2", "ACME", 110, 1, 2_000), 2_000);
        restored.processElement(trade("t1", "ACME", 100, 1, 1_000), 1_000); // a replay
        assertThat(restored.extractOutputValues())
                .extracting(t -> t.eventIds().get(0))
                .containsExactly("t2");
        // one key, one value: its statistics, the seen ids and the recent events
        assertThat(restored.numKeyedStateEntries()).isEqualTo(1);
    }

    /**
     * A key whose value was written in format 3 (Reflex 0.2) has its recent events in a ring of
     * map-state slots beside it. Its first event moves them into the value, in the order they were
     * written, and clears the slots: the next trigger's context has the old events and the new one,
     * and the key is left with one state entry.
     */
    @Test
    void recentEventsOfTheSlotFormatMoveIntoTheValueOnTheKeysFirstEvent() throws Exception {
        DetectorOptions o = DetectorOptions.withRules(List.of(changePct(600_000, 5, 0)));
        var h = harness(o.rules().get(0));
        var operator = (KeyedProcessOperator<String, Event, Trigger>) h.getOperator();
        operator.setCurrentKey("ACME");
        KeyStats old = new KeyStats();
        old.recentIn = KeyStats.RecentIn.SLOTS; // as read from format 3
        old.recentCount = 12; // written 12, so slots 0 and 1 hold the two newest
        old.eventsSeen = 12;
        old.rule("move").add(1_000, 100, 512);
        operator.getKeyedStateStore().getState(DetectorStates.statsDescriptor(o)).update(old);
        var slots =
                operator.getKeyedStateStore().getMapState(DetectorStates.recentSlotsDescriptor(o));
        for (long seq = 2; seq < 12; seq++) {
            slots.put(
                    (int) (seq % o.contextEvents()),
                    new RecentEvent("old" + seq, seq, "trades", "{\"seq\":" + seq + "}", seq));
        }
        assertThat(h.numKeyedStateEntries()).as("the value and the slots' map").isEqualTo(2);

        h.processElement(trade("jump", "ACME", 120, 1, 5_000), 5_000);

        JsonNode ctx = Json.MAPPER.readTree(h.extractOutputValues().get(0).context());
        JsonNode events = ctx.get("recent_events");
        assertThat(events).hasSize(o.contextEvents());
        assertThat(events.get(0).get("id").asText()).isEqualTo("old3");
        assertThat(events.get(o.contextEvents() - 2).get("id").asText()).isEqualTo("old11");
        assertThat(events.get(o.contextEvents() - 2).at("/data/seq").asInt()).isEqualTo(11);
        assertThat(events.get(o.contextEvents() - 1).get("id").asText()).isEqualTo("jump");
        assertThat(ctx.at("/rule/change_pct").asDouble()).as("the old statistics").isEqualTo(20.0);
        assertThat(h.numKeyedStateEntries()).as("the slots are cleared").isEqualTo(1);
    }
}
