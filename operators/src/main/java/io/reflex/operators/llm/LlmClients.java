package io.reflex.operators.llm;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;

/**
 * The LLM clients of one JVM (one TaskManager). Every subtask gets a client of its own, with its
 * own dispatcher, so that {@code llm.max-concurrent} holds per subtask as documented: two subtasks
 * in one TaskManager keep up to twice that many requests in flight. The connections are pooled per
 * endpoint and key and shared by all of them; the pool is emptied when the last client of the
 * endpoint is released.
 */
public final class LlmClients {
    private static final Map<Key, SharedPool> POOLS = new HashMap<>();

    private record Key(String baseUrl, int apiKeyHash) {}

    private static final class SharedPool {
        final ConnectionPool pool;
        int users;

        SharedPool(ConnectionPool pool) {
            this.pool = pool;
        }
    }

    private LlmClients() {}

    /** A client for {@code options} on the endpoint's shared pool; release it with close. */
    public static LlmClient acquire(LlmOptions options) {
        Key key = new Key(options.baseUrl(), Objects.hashCode(options.apiKey()));
        SharedPool shared;
        synchronized (LlmClients.class) {
            shared =
                    POOLS.computeIfAbsent(
                            key,
                            k ->
                                    new SharedPool(
                                            new ConnectionPool(
                                                    options.maxConcurrent(), 5, TimeUnit.MINUTES)));
            shared.users++;
        }
        OpenAiLlmClient client = new OpenAiLlmClient(options, shared.pool);
        return new LlmClient() {
            private boolean released;

            @Override
            public CompletableFuture<LlmResponse> complete(LlmRequest request) {
                return client.complete(request);
            }

            @Override
            public void close() {
                synchronized (LlmClients.class) {
                    if (released) {
                        return;
                    }
                    released = true;
                    client.close();
                    if (--shared.users == 0) {
                        POOLS.remove(key);
                        shared.pool.evictAll();
                    }
                }
            }
        };
    }
}
