package io.reflex.operators.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.StubLlmServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link StructuredOutput}: the strict projection meets strict mode's rules while local
 * validation keeps the job file's full schema, and each {@code llm.structured-output} mode sends
 * the request shape it should, through the OpenAI SDK to the stub, which refuses a strict schema as
 * a strict provider does.
 */
class StructuredOutputTest {

    /**
     * A catalogue with what strict mode cannot take as written: an optional param, string lengths,
     * a nested object without {@code additionalProperties}, {@code oneOf} and {@code allOf}.
     */
    static ActionCatalogue catalogue() {
        Map<String, ActionCatalogue.ActionType> types = new LinkedHashMap<>();
        types.put(
                "alert",
                new ActionCatalogue.ActionType(
                        "alert",
                        "Page someone.",
                        "{\"type\":\"object\",\"properties\":{"
                                + "\"severity\":{\"type\":\"string\",\"enum\":[\"low\",\"high\"]},"
                                + "\"summary\":{\"type\":\"string\",\"minLength\":3,\"maxLength\":80,"
                                + "\"description\":\"one line\"},"
                                + "\"ticket\":{\"type\":\"object\",\"properties\":{"
                                + "\"queue\":{\"type\":\"string\"}},\"required\":[\"queue\"]},"
                                + "\"minutes\":{\"oneOf\":[{\"type\":\"integer\",\"minimum\":1},"
                                + "{\"type\":\"null\"}]},"
                                + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
                                + "\"uniqueItems\":true}},"
                                + "\"required\":[\"severity\",\"summary\"],"
                                + "\"allOf\":[{\"required\":[\"severity\"]}],"
                                + "\"additionalProperties\":false}"));
        return new ActionCatalogue(types);
    }

    @Test
    void theStrictProjectionClosesEveryObjectRequiresEveryPropertyAndDropsWhatStrictRefuses() {
        ObjectNode full = catalogue().responseSchema(true, 200);
        ObjectNode strict = StructuredOutput.strict(full);

        assertThat(StubLlmServer.strictSchemaProblems(strict))
                .as("strict mode's rules, as the stub enforces them")
                .isEmpty();
        assertThat(StructuredOutput.UNSUPPORTED)
                .as("no keyword the projection drops")
                .noneMatch(k -> strict.toString().contains("\"" + k + "\":"));
        assertThat(full.toString())
                .as("the job file's schema is left as it was")
                .contains("\"maxLength\":80", "\"allOf\"", "\"oneOf\"");

        JsonNode params = strict.at("/properties/actions/items/anyOf/0/properties/params");
        assertThat(params.at("/properties/summary/type").asText()).isEqualTo("string");
        assertThat(params.at("/properties/summary/description").asText())
                .isEqualTo("one line (at least 3 characters, at most 80 characters)");
        assertThat(params.at("/properties/ticket/type").toString())
                .as("an optional object param is nullable")
                .isEqualTo("[\"object\",\"null\"]");
        assertThat(params.at("/properties/ticket/additionalProperties").asBoolean()).isFalse();
        assertThat(params.at("/properties/minutes/anyOf/0/anyOf/0/minimum").asInt())
                .as("oneOf sent as anyOf, numeric bounds kept")
                .isEqualTo(1);
        assertThat(params.get("required").toString())
                .isEqualTo("[\"severity\",\"summary\",\"ticket\",\"minutes\",\"tags\"]");
    }

    @Test
    void whatStrictCannotSayIsListedByPath() {
        JsonNode params = Json.tree(catalogue().types().get("alert").paramsSchema());
        assertThat(StructuredOutput.inexact(params))
                .containsExactlyInAnyOrder(
                        "/properties/summary/minLength",
                        "/properties/summary/maxLength",
                        "/properties/minutes/oneOf (sent as anyOf)",
                        "/properties/tags/uniqueItems",
                        "/allOf");
    }

    @Test
    void anOptionalParamsNullReadsAsAbsentAndTheFullSchemaIsStillEnforced() {
        ActionValidator v = new ActionValidator(catalogue());
        String nulls =
                "{\"actions\":[{\"type\":\"alert\",\"reason\":\"r\",\"params\":{\"severity\":"
                        + "\"high\",\"summary\":\"ACME halts\",\"ticket\":null,\"minutes\":null,"
                        + "\"tags\":null}}]}";
        ActionValidator.Result ok = v.validate(nulls);
        assertThat(ok.valid()).as(ok.error()).isTrue();
        assertThat(ok.actions().get(0).params().toString())
                .isEqualTo("{\"severity\":\"high\",\"summary\":\"ACME halts\"}");

        String tooLong = nulls.replace("ACME halts", "x".repeat(81));
        assertThat(v.validate(tooLong).error())
                .as("the length strict mode did not send is enforced here")
                .contains("summary");
        String requiredNull = nulls.replace("\"summary\":\"ACME halts\"", "\"summary\":null");
        assertThat(v.validate(requiredNull).valid()).as("a required param's null").isFalse();
    }

    @Test
    void eachModeSendsItsRequestShapeAndTheStubAnswersWithinTheFullSchema() throws Exception {
        ActionCatalogue catalogue = catalogue();
        ActionValidator validator = new ActionValidator(catalogue);
        try (StubLlmServer stub = StubLlmServer.start()) {
            for (String mode :
                    List.of(
                            StructuredOutput.STRICT,
                            StructuredOutput.SCHEMA,
                            StructuredOutput.JSON_OBJECT)) {
                try (OpenAiLlmClient client = new OpenAiLlmClient(options(stub, mode))) {
                    for (int i = 0; i < 5; i++) {
                        LlmResponse r =
                                client.complete(request(catalogue, "event " + i))
                                        .get(10, TimeUnit.SECONDS);
                        ActionValidator.Result result = validator.validate(r.content());
                        assertThat(result.valid()).as(mode + ": " + result.error()).isTrue();
                    }
                }
            }
            assertThat(stub.responseFormats())
                    .containsExactly(
                            Map.entry("json-object", 5L),
                            Map.entry("schema", 5L),
                            Map.entry("strict", 5L));
            assertThat(stub.count(StubLlmServer.Outcome.INVALID_SCHEMA)).isZero();
        }
    }

    @Test
    void theStubRefusesTheUnprojectedSchemaInStrictModeAsAStrictProviderDoes() throws Exception {
        try (StubLlmServer stub = StubLlmServer.start()) {
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("model", "m");
            body.putArray("messages").addObject().put("role", "user").put("content", "x");
            ObjectNode format = body.putObject("response_format");
            format.put("type", "json_schema");
            ObjectNode schema = format.putObject("json_schema");
            schema.put("name", "reflex_actions");
            schema.put("strict", true);
            schema.set("schema", catalogue().responseSchema(false, 0));
            HttpResponse<String> refused =
                    HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(
                                                    URI.create(
                                                            stub.baseUrl() + "/chat/completions"))
                                            .POST(
                                                    HttpRequest.BodyPublishers.ofString(
                                                            body.toString()))
                                            .header("Content-Type", "application/json")
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.body())
                    .contains("Invalid schema for response_format 'reflex_actions'")
                    .contains("'maxLength' is not permitted")
                    .contains("'additionalProperties' is required");

            // Through Reflex's client the same schema is projected, and answered.
            try (OpenAiLlmClient client =
                    new OpenAiLlmClient(options(stub, StructuredOutput.STRICT))) {
                assertThat(
                                catchThrowable(
                                        () ->
                                                client.complete(request(catalogue(), "y"))
                                                        .get(10, TimeUnit.SECONDS)))
                        .isNull();
            }
        }
    }

    private static LlmOptions options(StubLlmServer stub, String mode) {
        return new LlmOptions(
                stub.baseUrl(),
                "",
                "stub-model",
                Duration.ofSeconds(5),
                1,
                Duration.ofMillis(1),
                Duration.ofMillis(1),
                8,
                "sys",
                LlmOptions.DEFAULT_PROMPT_TEMPLATE,
                0,
                100,
                1000,
                mode);
    }

    private static LlmRequest request(ActionCatalogue catalogue, String user) {
        return new LlmRequest(
                "id-" + user,
                List.of(ChatMessage.system("sys"), ChatMessage.user(user)),
                "reflex_actions",
                catalogue.responseSchema(false, 0),
                List.of());
    }
}
