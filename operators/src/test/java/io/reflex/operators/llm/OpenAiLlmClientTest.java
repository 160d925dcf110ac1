package io.reflex.operators.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.testing.TestCatalogue;
import io.reflex.sandbox.StubLlmServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link OpenAiLlmClient}: the real OpenAI SDK over HTTP against the stub server, with
 * each kind of failure classified.
 */
class OpenAiLlmClientTest {
    private StubLlmServer stub;
    private OpenAiLlmClient client;
    private final ActionCatalogue catalogue = TestCatalogue.create();

    @BeforeEach
    void start() throws Exception {
        stub = StubLlmServer.start();
        client =
                new OpenAiLlmClient(
                        new LlmOptions(
                                stub.baseUrl(),
                                "",
                                "stub-model",
                                Duration.ofMillis(800),
                                1,
                                Duration.ofMillis(1),
                                Duration.ofMillis(1),
                                8,
                                "sys",
                                LlmOptions.DEFAULT_PROMPT_TEMPLATE,
                                0,
                                100,
                                1000,
                                io.reflex.operators.llm.StructuredOutput.STRICT));
    }

    @AfterEach
    void stop() {
        client.close();
        stub.close();
    }

    private LlmRequest request(String user) {
        return new LlmRequest(
                "id",
                List.of(ChatMessage.system("sys"), ChatMessage.user(user)),
                "reflex_actions",
                catalogue.responseSchema(false, 0),
                List.of());
    }

    private LlmException failure() {
        Throwable t = catchThrowable(() -> client.complete(request("x")).get(10, TimeUnit.SECONDS));
        assertThat(t).hasCauseInstanceOf(LlmException.class);
        return (LlmException) t.getCause();
    }

    @Test
    void answersConformToTheSchemaAndRepeatForTheSameRequest() throws Exception {
        LlmResponse a = client.complete(request("hello")).get(10, TimeUnit.SECONDS);
        LlmResponse b = client.complete(request("hello")).get(10, TimeUnit.SECONDS);
        assertThat(new ActionValidator(catalogue).validate(a.content()).valid()).isTrue();
        assertThat(a.content()).isEqualTo(b.content());
        assertThat(a.model()).isEqualTo("stub-model");
        assertThat(a.promptTokens()).isPositive();
        assertThat(a.completionTokens()).isPositive();
        assertThat(stub.count(StubLlmServer.Outcome.OK)).isEqualTo(2);
    }

    @Test
    void rateLimitsAreRetryableWithRetryAfter() {
        stub.setSettings(
                StubLlmServer.Settings.healthy()
                        .withFaults(1, 0, 0, 0, 0)
                        .withRetryAfterSeconds(3));
        LlmException e = failure();
        assertThat(e.retryable()).isTrue();
        assertThat(e.status()).isEqualTo(429);
        assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(3));
        assertThat(stub.requests()).as("the SDK's own retries are off").isEqualTo(1);
    }

    @Test
    void theProvidersQuotaFiguresComeWithAnswersAnd429s() throws Exception {
        // 120 requests a minute over 1 s windows: 2 requests, then a 429 for about 500 ms.
        stub.setQuota(new StubLlmServer.Quota(120, 600_000, 1_000));
        RateLimits first = client.complete(request("a")).get(10, TimeUnit.SECONDS).rateLimits();
        assertThat(first.limitRequests()).isEqualTo(120);
        assertThat(first.remainingRequests()).isEqualTo(1);
        assertThat(first.resetRequestsMs()).isBetween(1L, 500L);
        assertThat(first.limitTokens()).isEqualTo(600_000);
        assertThat(first.remainingTokens()).isBetween(0L, 10_000L);
        client.complete(request("b")).get(10, TimeUnit.SECONDS);

        LlmException e = failure();
        assertThat(e.status()).isEqualTo(429);
        assertThat(e.rateLimits().remainingRequests()).isZero();
        // retry-after-ms wins over the whole seconds of Retry-After
        assertThat(e.retryAfter()).isBetween(Duration.ofMillis(1), Duration.ofMillis(500));
        assertThat(stub.quotaRequests()).isEqualTo(3);
        assertThat(stub.quotaAdmittedRequests()).isEqualTo(2);
    }

    @Test
    void serverErrorsHangsAndMalformedBodiesAreRetryable() {
        stub.setSettings(StubLlmServer.Settings.healthy().withFaults(0, 1, 0, 0, 0));
        assertThat(failure()).matches(LlmException::retryable).matches(e -> e.status() == 500);

        stub.setSettings(
                StubLlmServer.Settings.healthy().withFaults(0, 0, 1, 0, 0).withHangMs(3_000));
        LlmException hang = failure();
        assertThat(hang.retryable()).isTrue();
        assertThat(hang.cause()).isEqualTo("timeout");

        stub.setSettings(StubLlmServer.Settings.healthy().withFaults(0, 0, 0, 1, 0));
        assertThat(failure().retryable()).isTrue();
    }

    @Test
    void schemaViolationsArriveAsAnswersThatFailValidation() throws Exception {
        stub.setSettings(StubLlmServer.Settings.healthy().withFaults(0, 0, 0, 0, 1));
        LlmResponse r = client.complete(request("x")).get(10, TimeUnit.SECONDS);
        assertThat(new ActionValidator(catalogue).validate(r.content()).valid()).isFalse();
    }
}
