package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.model.AuditJson;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import io.reflex.operators.state.StateJson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Tests for {@link TailCommand}'s lines. */
class TailCommandTest {

    private static String line(String json) throws Exception {
        return line(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String line(byte[] value) throws Exception {
        return TailCommand.describe(
                new ConsumerRecord<>("t", 1, 42, null, value), Json.MAPPER.readTree(value));
    }

    @Test
    void aDeadLetterReadsAsItsStageKeyReasonAndSource() throws Exception {
        assertThat(
                        line(
                                "{\"stage\":\"decode\",\"reason\":\"not JSON\",\"source\":\"trades\","
                                        + "\"partition\":0,\"offset\":7,\"key\":null,"
                                        + "\"raw_bytes\":12}"))
                .isEqualTo(
                        "1/42  dead-letter decode -  \"not JSON\"  [source=trades raw=12 bytes]");
    }

    @Test
    void anythingElseIsItsJsonAndNonJsonSaysSo() throws Exception {
        assertThat(line("{\"x\":1}")).isEqualTo("1/42  {\"x\":1}");
        assertThat(
                        TailCommand.describe(
                                new ConsumerRecord<>("t", 0, 3, null, new byte[] {1, 2}), null))
                .isEqualTo("0/3  (not JSON, 2 bytes)");
    }

    @Test
    void auditAndStateRecordsReadAsTheirOutcomeAndLastDecision() throws Exception {
        Trigger t = new Trigger("alarming-news", "ACME", 1_000, List.of("n1"), "{}");
        byte[] audit =
                AuditJson.render(
                        "0123456789abcdef0123456789abcdef",
                        "ACME",
                        List.of(t),
                        AuditJson.FROM_LLM,
                        new AuditJson.Figures("m", 100, 20, 150, 250, 2),
                        null,
                        null,
                        "after 2 attempt(s): HTTP 500",
                        null,
                        5_000);
        assertThat(line(audit))
                .isEqualTo(
                        "1/42  audit ACME  dead_lettered  request=0123456789abcdef0123456789abcdef"
                                + " rules=[\"alarming-news\"] by=llm attempts=2 tokens=100+20"
                                + " $0.000150 250ms  \"after 2 attempt(s): HTTP 500\"");
        byte[] decision =
                StateJson.decision(
                        "0123456789abcdef0123456789abcdef", List.of(t), List.of(), "calm", 5_000);
        assertThat(
                        line(
                                StateJson.record(
                                        "ACME",
                                        "{\"events_seen\":3,\"rules\":{}}"
                                                .getBytes(StandardCharsets.UTF_8),
                                        decision,
                                        6_000)))
                .isEqualTo(
                        "1/42  state ACME  events=3 last-trigger=- last-decision=no_action "
                                + " note=\"calm\"");
    }

    @Test
    void anActionLineCarriesTheAnswersCostWhenTheJobHasAPriceTable() {
        byte[] action =
                io.reflex.operators.model.Json.bytes(
                        io.reflex.operators.model.ActionJson.toJson(
                                new io.reflex.operators.model.Action(
                                        "0123456789abcdef0123456789abcdef",
                                        "ACME",
                                        "alert",
                                        "{\"severity\":\"high\"}",
                                        "ACME fell 6.2% in 40 s",
                                        "price-move",
                                        List.of("t9"),
                                        40_000,
                                        "m",
                                        1_000,
                                        200,
                                        378,
                                        1,
                                        41_000)));
        io.reflex.operators.agent.AgentOptions d =
                io.reflex.operators.agent.AgentOptions.defaults();
        io.reflex.operators.agent.AgentOptions priced =
                new io.reflex.operators.agent.AgentOptions(
                        d.maxBacklog(),
                        d.memoryDecisions(),
                        d.memoryMaxChars(),
                        d.memoryTtl(),
                        d.repairInvalid(),
                        d.maxToolRounds(),
                        d.requestsPerMinute(),
                        d.tokensPerMinute(),
                        d.quotaFromHeaders(),
                        d.breakerFailures(),
                        d.breakerCooldown(),
                        0.15,
                        0.60);
        String line =
                "action  ACME   alert  {\"severity\":\"high\"}  \"ACME fell 6.2% in 40 s\""
                        + "  [rule=price-move id=0123456789ab llm=378ms";
        assertThat(ActionTail.describe(action, priced)).isEqualTo(line + " cost=$0.000270]");
        assertThat(ActionTail.describe(action, d)).as("no price table").isEqualTo(line + "]");
    }
}
