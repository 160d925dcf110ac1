package io.reflex.operators.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClientAsync;
import com.openai.client.okhttp.OpenAIOkHttpClientAsync;
import com.openai.core.JsonValue;
import com.openai.core.RequestOptions;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import io.reflex.operators.model.Json;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import org.apache.flink.util.ExceptionUtils;

/**
 * {@link LlmClient} on the official OpenAI Java SDK's async client. The SDK's own retries are off,
 * so the caller's retry policy is the only one. Its OkHttp dispatcher admits as many requests per
 * host as the configured concurrency (the SDK's default would cap it at 64).
 */
public final class OpenAiLlmClient implements LlmClient {
    /** The header that carries each request's id (its retries and rounds share it). */
    public static final String REQUEST_ID_HEADER = "X-Reflex-Request-Id";

    private final LlmOptions options;
    private final OkHttpClient http;
    private final OpenAIClientAsync client;

    /** A client with a connection pool of its own. */
    public OpenAiLlmClient(LlmOptions options) {
        this(options, new ConnectionPool(options.maxConcurrent(), 5, TimeUnit.MINUTES));
    }

    /**
     * A client with its own dispatcher, so its {@code maxConcurrent} requests in flight are its
     * own, on a connection pool that other clients of the endpoint may share.
     */
    public OpenAiLlmClient(LlmOptions options, ConnectionPool pool) {
        this.options = options;
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequests(options.maxConcurrent());
        dispatcher.setMaxRequestsPerHost(options.maxConcurrent());
        this.http =
                new OkHttpClient.Builder()
                        .dispatcher(dispatcher)
                        .connectionPool(pool)
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

    /**
     * Builds the request and hands it to the SDK on the client's own dispatcher threads, not on the
     * caller's: the caller is a Flink task thread, and building the SDK's parameters, serializing
     * them and preparing the call cost more than the rest of the agent's work per trigger. The
     * answer completes the returned future on an OkHttp thread, as before.
     */
    @Override
    public CompletableFuture<LlmResponse> complete(LlmRequest request) {
        try {
            return CompletableFuture.supplyAsync(
                            () -> send(request), http.dispatcher().executorService())
                    .thenCompose(f -> f);
        } catch (RejectedExecutionException closed) {
            return CompletableFuture.failedFuture(
                    new LlmException("the client is closed", true, 0, null, closed));
        }
    }

    private CompletableFuture<LlmResponse> send(LlmRequest request) {
        ChatCompletionCreateParams params;
        try {
            params = params(request);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(
                    new LlmException(
                            "cannot build the request: " + e.getMessage(), false, 0, null, e));
        }
        RequestOptions requestOptions =
                RequestOptions.builder().timeout(options.attemptTimeout()).build();
        long started = System.nanoTime();
        CompletableFuture<HttpResponseFor<ChatCompletion>> call;
        try {
            call = client.chat().completions().withRawResponse().create(params, requestOptions);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(classify(e));
        }
        return call.handle(
                (raw, error) -> {
                    if (error != null) {
                        throw classify(error);
                    }
                    ChatCompletion completion;
                    RateLimits limits = RateLimits.from(raw.headers()::values);
                    try (raw) {
                        completion = raw.parse();
                    } catch (RuntimeException e) {
                        throw classify(e);
                    }
                    long latency = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                    if (completion.choices().isEmpty()) {
                        throw new LlmException("answer has no choices", true, 0, null, null);
                    }
                    ChatCompletion.Choice choice = completion.choices().get(0);
                    ChatCompletionMessage message = choice.message();
                    LlmException unusable = unusable(choice, limits);
                    if (unusable != null) {
                        throw unusable;
                    }
                    List<ToolCall> calls = new ArrayList<>();
                    for (ChatCompletionMessageToolCall c : message.toolCalls().orElse(List.of())) {
                        if (c.isFunction()) {
                            ChatCompletionMessageFunctionToolCall f = c.asFunction();
                            calls.add(
                                    new ToolCall(
                                            f.id(), f.function().name(), f.function().arguments()));
                        }
                    }
                    long prompt = completion.usage().map(u -> u.promptTokens()).orElse(0L);
                    long done = completion.usage().map(u -> u.completionTokens()).orElse(0L);
                    return new LlmResponse(
                            message.content().orElse(null),
                            calls,
                            completion.model(),
                            prompt,
                            done,
                            latency,
                            limits);
                });
    }

    private ChatCompletionCreateParams params(LlmRequest request) {
        ChatCompletionCreateParams.Builder b =
                ChatCompletionCreateParams.builder()
                        // Names the request in the provider's logs and in the stub's counts.
                        .putAdditionalHeader(REQUEST_ID_HEADER, request.requestId())
                        .model(options.model())
                        .temperature(options.temperature())
                        .maxCompletionTokens(options.maxTokens());
        boolean jsonObject = StructuredOutput.JSON_OBJECT.equals(options.structuredOutput());
        if (jsonObject) {
            b.responseFormat(ResponseFormatJsonObject.builder().build());
        } else {
            b.responseFormat(
                    responseFormats.computeIfAbsent(
                            new SchemaKey(request.schemaName(), request.schema()),
                            k -> responseFormat(k.name(), k.schema(), options.structuredOutput())));
        }
        boolean schemaSaid = false;
        for (ChatMessage m : request.messages()) {
            switch (m.role()) {
                case "system":
                    if (jsonObject && !schemaSaid) {
                        // JSON mode asks only for a JSON object: the schema goes into the prompt.
                        b.addSystemMessage(m.content() + jsonObjectInstruction(request.schema()));
                        schemaSaid = true;
                    } else {
                        b.addSystemMessage(m.content());
                    }
                    break;
                case "user":
                    b.addUserMessage(m.content());
                    break;
                case "assistant":
                    ChatCompletionAssistantMessageParam.Builder a =
                            ChatCompletionAssistantMessageParam.builder();
                    if (m.content() != null) {
                        a.content(m.content());
                    }
                    for (ToolCall c : m.toolCalls()) {
                        a.addToolCall(
                                ChatCompletionMessageFunctionToolCall.builder()
                                        .id(c.id())
                                        .function(
                                                ChatCompletionMessageFunctionToolCall.Function
                                                        .builder()
                                                        .name(c.name())
                                                        .arguments(c.arguments())
                                                        .build())
                                        .build());
                    }
                    b.addMessage(a.build());
                    break;
                case "tool":
                    b.addMessage(
                            ChatCompletionToolMessageParam.builder()
                                    .toolCallId(m.toolCallId())
                                    .content(m.content())
                                    .build());
                    break;
                default:
                    throw new IllegalArgumentException("unknown role " + m.role());
            }
        }
        for (ToolSpec t : request.tools()) {
            b.addTool(
                    ChatCompletionFunctionTool.builder()
                            .function(
                                    FunctionDefinition.builder()
                                            .name(t.name())
                                            .description(t.description())
                                            .parameters(
                                                    toolParameters.computeIfAbsent(
                                                            t.parameters(),
                                                            OpenAiLlmClient::functionParameters))
                                            .build())
                            .build());
        }
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private static FunctionParameters functionParameters(JsonNode schema) {
        Map<String, Object> map = Json.MAPPER.convertValue(schema, Map.class);
        FunctionParameters.Builder b = FunctionParameters.builder();
        map.forEach((k, v) -> b.putAdditionalProperty(k, JsonValue.from(v)));
        return b.build();
    }

    private record SchemaKey(String name, JsonNode schema) {}

    /**
     * The SDK's form of each response schema and tool parameter schema, converted once: a job has
     * one catalogue, so a handful of entries; bounded all the same.
     */
    private final Map<SchemaKey, ResponseFormatJsonSchema> responseFormats = bounded(16);

    private final Map<JsonNode, FunctionParameters> toolParameters = bounded(64);

    private static <K, V> Map<K, V> bounded(int max) {
        return java.util.Collections.synchronizedMap(
                new java.util.LinkedHashMap<>(16, 0.75f, true) {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                        return size() > max;
                    }
                });
    }

    /**
     * The {@code json_schema} response format: in {@code strict} mode the provider-safe projection
     * with {@code strict: true} ({@link StructuredOutput#strict}), else the schema as it is,
     * without {@code strict}.
     */
    private static ResponseFormatJsonSchema responseFormat(
            String name, JsonNode schema, String mode) {
        boolean strict = StructuredOutput.STRICT.equals(mode);
        ResponseFormatJsonSchema.JsonSchema.Builder s =
                ResponseFormatJsonSchema.JsonSchema.builder()
                        .name(name)
                        .schema(schema(strict ? StructuredOutput.strict(schema) : schema));
        if (strict) {
            s.strict(true);
        }
        return ResponseFormatJsonSchema.builder().jsonSchema(s.build()).build();
    }

    /** Opens the JSON Schema that {@code json-object} mode puts at the end of the system prompt. */
    public static final String JSON_OBJECT_SCHEMA_MARKER = "JSON Schema of the answer:";

    static String jsonObjectInstruction(JsonNode schema) {
        return "\n\nAnswer with one JSON object and nothing else. It must follow this "
                + JSON_OBJECT_SCHEMA_MARKER
                + "\n"
                + schema;
    }

    @SuppressWarnings("unchecked")
    private static ResponseFormatJsonSchema.JsonSchema.Schema schema(JsonNode schema) {
        Map<String, Object> map = Json.MAPPER.convertValue(schema, Map.class);
        ResponseFormatJsonSchema.JsonSchema.Schema.Builder b =
                ResponseFormatJsonSchema.JsonSchema.Schema.builder();
        map.forEach((k, v) -> b.putAdditionalProperty(k, JsonValue.from(v)));
        return b.build();
    }

    /** Refusals and truncated answers are cut to this many characters in the reason. */
    private static final int MAX_REFUSAL_CHARS = 300;

    /**
     * Why {@code choice} cannot be used, as an error that a retry would not fix (the same request
     * gets the same answer): a refusal, an answer cut at {@code max-tokens}, or one stopped by the
     * provider's content filter. Null for a usable answer.
     */
    private LlmException unusable(ChatCompletion.Choice choice, RateLimits limits) {
        java.util.Optional<String> refusal = choice.message().refusal();
        if (refusal.isPresent() && !refusal.get().isBlank()) {
            String r = refusal.get();
            return new LlmException(
                    LlmException.REFUSED
                            + ": "
                            + (r.length() > MAX_REFUSAL_CHARS
                                    ? r.substring(0, MAX_REFUSAL_CHARS) + "..."
                                    : r),
                    false,
                    0,
                    null,
                    limits,
                    null);
        }
        ChatCompletion.Choice.FinishReason finish = choice.finishReason();
        if (ChatCompletion.Choice.FinishReason.LENGTH.equals(finish)) {
            return new LlmException(
                    LlmException.TRUNCATED
                            + ": the answer reached llm.max-tokens ("
                            + options.maxTokens()
                            + ") before it ended",
                    false,
                    0,
                    null,
                    limits,
                    null);
        }
        if (ChatCompletion.Choice.FinishReason.CONTENT_FILTER.equals(finish)) {
            return new LlmException(
                    LlmException.CONTENT_FILTERED
                            + ": the provider's content filter stopped the answer",
                    false,
                    0,
                    null,
                    limits,
                    null);
        }
        return null;
    }

    /** Turns what the SDK threw into an {@link LlmException} that says if a retry may help. */
    static LlmException classify(Throwable error) {
        Throwable e = ExceptionUtils.stripCompletionException(error);
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
                    retryAfter(
                            se.headers().values("retry-after-ms"),
                            se.headers().values("retry-after")),
                    RateLimits.from(se.headers()::values),
                    se);
        }
        if (e instanceof OpenAIIoException) {
            if (ExceptionUtils.findThrowable(e, InterruptedIOException.class).isPresent()) {
                return new LlmException("timed out: " + rootMessage(e), true, 0, null, e);
            }
            return new LlmException("I/O error: " + rootMessage(e), true, 0, null, e);
        }
        if (e instanceof OpenAIInvalidDataException) {
            return new LlmException("unreadable answer: " + rootMessage(e), true, 0, null, e);
        }
        return new LlmException("unexpected error: " + rootMessage(e), true, 0, null, e);
    }

    /**
     * The server's wait: {@code retry-after-ms} where sent (OpenAI's, finer than a second), else
     * {@code Retry-After} in seconds; null for neither, or an HTTP date, which leaves the wait to
     * the backoff policy.
     */
    static Duration retryAfter(List<String> millis, List<String> seconds) {
        Double ms = RateLimits.headerNumber(millis);
        if (ms != null) {
            return Duration.ofMillis(Math.round(ms));
        }
        Double s = RateLimits.headerNumber(seconds);
        return s == null ? null : Duration.ofMillis(Math.round(s * 1000));
    }

    private static String rootMessage(Throwable e) {
        Throwable root = org.apache.commons.lang3.exception.ExceptionUtils.getRootCause(e);
        root = root == null ? e : root;
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    @Override
    public void close() {
        client.close();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
