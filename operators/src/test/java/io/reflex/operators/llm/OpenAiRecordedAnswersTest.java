package io.reflex.operators.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.reflex.operators.model.Json;
import io.reflex.operators.testing.TestCatalogue;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reflex's client against answers in the OpenAI API's own documented shapes ({@code
 * openai/chat-completions.json}), served over HTTP by a server that is not Reflex's stub: a tool
 * call is read as one; a refusal, an answer cut at max-tokens and one stopped by the content filter
 * each fail with that reason and are not retried. It also checks the request the SDK sends: model,
 * messages, the strict response format, the token limit and the request id header.
 */
class OpenAiRecordedAnswersTest {
    private static final JsonNode ANSWERS = fixture().get("answers");

    private HttpServer server;
    private final AtomicReference<String> answer = new AtomicReference<>();
    private final AtomicReference<JsonNode> lastRequest = new AtomicReference<>();
    private final AtomicReference<String> lastRequestId = new AtomicReference<>();
    private OpenAiLlmClient client;

    private static JsonNode fixture() {
        try (InputStream in =
                OpenAiRecordedAnswersTest.class.getResourceAsStream(
                        "/openai/chat-completions.json")) {
            return Json.MAPPER.readTree(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(
                "/v1/chat/completions",
                ex -> {
                    try (ex) {
                        lastRequest.set(Json.MAPPER.readTree(ex.getRequestBody().readAllBytes()));
                        lastRequestId.set(ex.getRequestHeaders().getFirst("X-Reflex-Request-Id"));
                        byte[] body =
                                ANSWERS.get(answer.get())
                                        .toString()
                                        .getBytes(StandardCharsets.UTF_8);
                        ex.getResponseHeaders().add("Content-Type", "application/json");
                        ex.sendResponseHeaders(200, body.length);
                        try (OutputStream out = ex.getResponseBody()) {
                            out.write(body);
                        }
                    }
                });
        server.start();
        client =
                new OpenAiLlmClient(
                        new LlmOptions(
                                "http://127.0.0.1:" + server.getAddress().getPort() + "/v1",
                                "sk-test",
                                "gpt-4o-2024-08-06",
                                Duration.ofSeconds(5),
                                1,
                                Duration.ofMillis(1),
                                Duration.ofMillis(1),
                                4,
                                "sys",
                                LlmOptions.DEFAULT_PROMPT_TEMPLATE,
                                0.2,
                                400,
                                1000,
                                io.reflex.operators.llm.StructuredOutput.STRICT));
    }

    @AfterEach
    void stop() {
        client.close();
        server.stop(0);
    }

    private LlmResponse complete(String recorded) throws Exception {
        answer.set(recorded);
        return client.complete(
                        new LlmRequest(
                                "req-" + recorded,
                                List.of(ChatMessage.system("sys"), ChatMessage.user("ACME halts")),
                                "reflex_actions",
                                TestCatalogue.create().responseSchema(true, 200),
                                List.of(
                                        new ToolSpec(
                                                "recent_events",
                                                "the key's recent events",
                                                Json.tree(
                                                        "{\"type\":\"object\",\"properties\":{\"limit\":"
                                                                + "{\"type\":\"integer\"}},\"required\":"
                                                                + "[\"limit\"],\"additionalProperties\":false}")))))
                .get(10, TimeUnit.SECONDS);
    }

    private LlmException failure(String recorded) {
        Throwable t = catchThrowable(() -> complete(recorded));
        assertThat(t).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(LlmException.class);
        return (LlmException) t.getCause();
    }

    @Test
    void aToolCallIsReadWithItsArgumentsAndUsage() throws Exception {
        LlmResponse r = complete("tool_call");
        assertThat(r.callsTools()).isTrue();
        assertThat(r.toolCalls())
                .containsExactly(new ToolCall("call_abc123", "recent_events", "{\"limit\":5}"));
        assertThat(r.content()).isNull();
        assertThat(r.model()).isEqualTo("gpt-4o-2024-08-06");
        assertThat(r.promptTokens()).isEqualTo(82);
        assertThat(r.completionTokens()).isEqualTo(17);

        JsonNode sent = lastRequest.get();
        assertThat(lastRequestId.get()).isEqualTo("req-tool_call");
        assertThat(sent.get("model").asText()).isEqualTo("gpt-4o-2024-08-06");
        assertThat(sent.get("max_completion_tokens").asInt()).isEqualTo(400);
        assertThat(sent.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(sent.at("/messages/0/role").asText()).isEqualTo("system");
        assertThat(sent.at("/messages/1/content").asText()).isEqualTo("ACME halts");
        assertThat(sent.at("/response_format/type").asText()).isEqualTo("json_schema");
        assertThat(sent.at("/response_format/json_schema/strict").asBoolean()).isTrue();
        assertThat(sent.at("/response_format/json_schema/name").asText())
                .isEqualTo("reflex_actions");
        assertThat(sent.at("/tools/0/type").asText()).isEqualTo("function");
        assertThat(sent.at("/tools/0/function/name").asText()).isEqualTo("recent_events");
    }

    @Test
    void aRefusalIsAFailureWithItsTextThatARetryCannotFix() {
        LlmException e = failure("refusal");
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo("refused: I'm sorry, I cannot assist with that request.");
        assertThat(e.cause()).isEqualTo("refusal");
    }

    @Test
    void anAnswerCutAtMaxTokensIsTruncatedNotRetried() {
        LlmException e = failure("length");
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo("truncated: the answer reached llm.max-tokens (400) before it ended");
        assertThat(e.cause()).isEqualTo("truncated");
    }

    @Test
    void anAnswerStoppedByTheContentFilterIsNotRetried() {
        LlmException e = failure("content_filter");
        assertThat(e.retryable()).isFalse();
        assertThat(e.cause()).isEqualTo("content_filter");
    }
}
