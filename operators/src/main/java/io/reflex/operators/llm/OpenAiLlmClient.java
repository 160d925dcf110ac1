package io.reflex.operators.llm;

import com.openai.client.OpenAIClientAsync;
import com.openai.client.okhttp.OpenAIOkHttpClientAsync;
import com.openai.core.JsonValue;
import com.openai.core.RequestOptions;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.reflex.operators.model.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/**
 * {@link LlmClient} on the official OpenAI Java SDK's async client. The SDK's own retries are off,
 * so the caller's retry policy is the only one. The OkHttp dispatcher admits as many requests per
 * host as the configured concurrency (the SDK's default would cap it at 64).
 */
public final class OpenAiLlmClient implements LlmClient {
    private final LlmOptions options;
    private final OkHttpClient http;
    private final OpenAIClientAsync client;

    public OpenAiLlmClient(LlmOptions options) {
        this.options = options;
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequests(options.maxConcurrent());
        dispatcher.setMaxRequestsPerHost(options.maxConcurrent());
        this.http =
                new OkHttpClient.Builder()
                        .dispatcher(dispatcher)
                        .connectionPool(
                                new ConnectionPool(options.maxConcurrent(), 5, TimeUnit.MINUTES))
                        .connectTimeout(options.attemptTimeout())
                        .readTimeout(options.attemptTimeout())
                        .writeTimeout(options.attemptTimeout())
                        .callTimeout(options.attemptTimeout())
                        .build();
        String key =
                options.apiKey() == null || options.apiKey().isBlank()
                        ? "unused"
                        : options.apiKey();
        this.client =
                OpenAIOkHttpClientAsync.builder()
                        .baseUrl(options.baseUrl())
                        .apiKey(key)
                        .okHttpClient(http)
                        .maxRetries(0)
                        .build();
    }

    @Override
    public CompletableFuture<LlmResponse> complete(LlmRequest request) {
        ChatCompletionCreateParams params =
                ChatCompletionCreateParams.builder()
                        .model(options.model())
                        .addSystemMessage(request.system())
                        .addUserMessage(request.user())
                        .temperature(options.temperature())
                        .maxCompletionTokens(options.maxTokens())
                        .responseFormat(
                                ResponseFormatJsonSchema.builder()
                                        .jsonSchema(
                                                ResponseFormatJsonSchema.JsonSchema.builder()
                                                        .name(request.schemaName())
                                                        .strict(true)
                                                        .schema(schema(request))
                                                        .build())
                                        .build())
                        .build();
        RequestOptions requestOptions =
                RequestOptions.builder().timeout(options.attemptTimeout()).build();
        long started = System.nanoTime();
        CompletableFuture<ChatCompletion> call;
        try {
            call = client.chat().completions().create(params, requestOptions);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(classify(e));
        }
        return call.handle(
                (completion, error) -> {
                    if (error != null) {
                        throw classify(error);
                    }
                    long latency = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                    String content =
                            completion.choices().isEmpty()
                                    ? null
                                    : completion.choices().get(0).message().content().orElse(null);
                    long prompt = completion.usage().map(u -> u.promptTokens()).orElse(0L);
                    long done = completion.usage().map(u -> u.completionTokens()).orElse(0L);
                    return new LlmResponse(content, completion.model(), prompt, done, latency);
                });
    }

    @SuppressWarnings("unchecked")
    private static ResponseFormatJsonSchema.JsonSchema.Schema schema(LlmRequest request) {
        Map<String, Object> map = Json.MAPPER.convertValue(request.schema(), Map.class);
        ResponseFormatJsonSchema.JsonSchema.Schema.Builder b =
                ResponseFormatJsonSchema.JsonSchema.Schema.builder();
        map.forEach((k, v) -> b.putAdditionalProperty(k, JsonValue.from(v)));
        return b.build();
    }

    /** Turns what the SDK threw into an {@link LlmException} that says if a retry may help. */
    static LlmException classify(Throwable error) {
        Throwable e = error;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof LlmException le) {
            return le;
        }
        if (e instanceof OpenAIServiceException se) {
            int status = se.statusCode();
            boolean retryable = status == 408 || status == 409 || status == 429 || status >= 500;
            return new LlmException(
                    "HTTP " + status + ": " + se.getMessage(),
                    retryable,
                    status,
                    retryAfter(se.headers().values("retry-after")),
                    se);
        }
        if (e instanceof OpenAIIoException) {
            for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
                if (c instanceof java.io.InterruptedIOException) {
                    return new LlmException("timed out: " + rootMessage(e), true, 0, null, e);
                }
            }
            return new LlmException("I/O error: " + rootMessage(e), true, 0, null, e);
        }
        if (e instanceof OpenAIInvalidDataException) {
            return new LlmException("unreadable answer: " + rootMessage(e), true, 0, null, e);
        }
        return new LlmException("unexpected error: " + rootMessage(e), true, 0, null, e);
    }

    private static Duration retryAfter(List<String> values) {
        if (values == null || values.isEmpty()) {
            return null;
        }
        try {
            return Duration.ofMillis((long) (Double.parseDouble(values.get(0).trim()) * 1000));
        } catch (NumberFormatException e) {
            return null; // an HTTP date: fall back to the backoff policy
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    @Override
    public void close() {
        client.close();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
