package io.reflex.operators.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.LlmRequest;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.OpenAiLlmClient;
import io.reflex.operators.llm.StructuredOutput;
import io.reflex.operators.model.Trigger;
import io.reflex.sandbox.StubLlmServer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The stub's analyst mode reads the prompts that {@link PromptBuilder} really writes: its decisions
 * follow from the trigger's figures and words and from the key's memory, its reasons name them, and
 * every answer passes the local validation, through the OpenAI SDK in strict mode.
 */
class AnalystStubTest {

    private static ActionCatalogue catalogue() {
        Map<String, ActionCatalogue.ActionType> types = new LinkedHashMap<>();
        types.put(
                "alert",
                new ActionCatalogue.ActionType(
                        "alert",
                        "Page the analyst.",
                        "{\"type\":\"object\",\"properties\":{\"severity\":{\"type\":\"string\","
                                + "\"enum\":[\"low\",\"medium\",\"high\"]},\"summary\":{\"type\":"
                                + "\"string\",\"maxLength\":280}},\"required\":[\"severity\","
                                + "\"summary\"],\"additionalProperties\":false}"));
        types.put(
                "watch",
                new ActionCatalogue.ActionType(
                        "watch",
                        "Watch it.",
                        "{\"type\":\"object\",\"properties\":{\"minutes\":{\"type\":\"integer\","
                                + "\"minimum\":1,\"maximum\":1440}},\"required\":[\"minutes\"],"
                                + "\"additionalProperties\":false}"));
        types.put(
                "escalate",
                new ActionCatalogue.ActionType(
                        "escalate",
                        "Hand over.",
                        "{\"type\":\"object\",\"properties\":{\"urgency\":{\"type\":\"string\","
                                + "\"enum\":[\"low\",\"high\"]}},\"required\":[\"urgency\"],"
                                + "\"additionalProperties\":false}"));
        return new ActionCatalogue(types);
    }

    private record Decided(String type, String params, String reason, String memory) {}

    private static Decided decide(Trigger t, String memory) throws Exception {
        ActionCatalogue catalogue = catalogue();
        try (StubLlmServer stub = StubLlmServer.start().analyst(true)) {
            LlmOptions options =
                    new LlmOptions(
                            stub.baseUrl(),
                            "",
                            "stub-model",
                            Duration.ofSeconds(5),
                            1,
                            Duration.ofMillis(1),
                            Duration.ofMillis(1),
                            4,
                            LlmOptions.DEFAULT_SYSTEM_PROMPT,
                            LlmOptions.DEFAULT_PROMPT_TEMPLATE,
                            0,
                            400,
                            4000,
                            StructuredOutput.STRICT);
            try (OpenAiLlmClient client = new OpenAiLlmClient(options)) {
                return decide(client, options, catalogue, t, memory);
            }
        }
    }

    private static Decided decide(
            OpenAiLlmClient client,
            LlmOptions options,
            ActionCatalogue catalogue,
            Trigger t,
            String memory)
            throws Exception {
        LlmResponse r =
                client.complete(
                                new LlmRequest(
                                        "r",
                                        new PromptBuilder(options, catalogue)
                                                .messages(List.of(t), memory),
                                        "reflex_actions",
                                        catalogue.responseSchema(true, 200),
                                        List.of()))
                        .get(10, TimeUnit.SECONDS);
        ActionValidator.Result v = new ActionValidator(catalogue, true, 200).validate(r.content());
        assertThat(v.valid()).as(v.error()).isTrue();
        if (v.actions().isEmpty()) {
            return new Decided(null, null, null, v.memory());
        }
        var a = v.actions().get(0);
        return new Decided(a.type(), a.params().toString(), a.reason(), v.memory());
    }

    private static Trigger move(double pct, double from, double to) {
        return new Trigger(
                "price-move",
                "ACME",
                40_000,
                List.of("t9"),
                "{\"rule\":{\"id\":\"price-move\",\"type\":\"change-pct\",\"field\":\"/price\","
                        + "\"change_pct\":"
                        + pct
                        + ",\"from\":"
                        + from
                        + ",\"to\":"
                        + to
                        + ",\"window_ms\":40000},\"recent_events\":[],\"stats\":{}}");
    }

    @Test
    void aLargeFallIsAnAlertWhoseReasonNamesTheMove() throws Exception {
        Decided d = decide(move(-6.2, 100, 93.8), null);
        assertThat(d.type()).isEqualTo("alert");
        assertThat(d.reason()).isEqualTo("ACME fell 6.2% in 40 s (100.00 to 93.80)");
        assertThat(d.params())
                .isEqualTo(
                        "{\"severity\":\"medium\",\"summary\":\"ACME fell 6.2% in 40 s (100.00 to"
                                + " 93.80)\"}");
        assertThat(d.memory())
                .isEqualTo("alerted medium on ACME: ACME fell 6.2% in 40 s (100.00 to 93.80)");
    }

    @Test
    void anAlarmingHeadlineQuotesItsWordsAndASecondAlertEscalates() throws Exception {
        Trigger news =
                new Trigger(
                        "alarming-news",
                        "ACME",
                        50_000,
                        List.of("n1"),
                        "{\"rule\":{\"id\":\"alarming-news\",\"type\":\"match\",\"field\":"
                                + "\"/headline\",\"matched\":\"halts\"},\"recent_events\":[{\"id\":"
                                + "\"n1\",\"time\":50000,\"source\":\"news\",\"data\":{\"headline\":"
                                + "\"ACME halts trading amid fraud probe\"}}],\"stats\":{}}");
        Decided first = decide(news, null);
        assertThat(first.type()).isEqualTo("alert");
        assertThat(first.reason())
                .isEqualTo("ACME: 'halts' in headline: \"ACME halts trading amid fraud probe\"");
        assertThat(first.params()).contains("\"severity\":\"high\"");

        Decided second = decide(news, "note: " + first.memory());
        assertThat(second.type()).isEqualTo("escalate");
        assertThat(second.params()).isEqualTo("{\"urgency\":\"high\"}");
        assertThat(second.reason()).endsWith("alerted before, so escalating");
    }

    @Test
    void aSmallMoveIsWatchedAndASecondOneWhileWatchedNeedsNothing() throws Exception {
        Decided first = decide(move(4.3, 35.91, 37.45), null);
        assertThat(first.type()).isEqualTo("watch");
        assertThat(first.params()).isEqualTo("{\"minutes\":30}");
        assertThat(first.reason())
                .isEqualTo("ACME rose 4.3% in 40 s (35.91 to 37.45): worth watching");

        Decided second = decide(move(4.1, 37.45, 38.99), "note: " + first.memory());
        assertThat(second.type()).as("no action").isNull();
        assertThat(second.memory()).startsWith("watching ACME; a second small move");
    }
}
