package io.reflex.operators.llm;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One client per JVM (per TaskManager) and endpoint, shared by every subtask that uses the same
 * endpoint, key and concurrency, and closed when the last of them releases it.
 */
public final class LlmClients {
    private static final Map<Key, Entry> CLIENTS = new HashMap<>();

    private record Key(String baseUrl, int apiKeyHash, int maxConcurrent, String model) {}

    private static final class Entry {
        final OpenAiLlmClient client;
        int users;

        Entry(OpenAiLlmClient client) {
            this.client = client;
        }
    }

    private LlmClients() {}

    /** The shared client for {@code options}; release it with {@link LlmClient#close()}. */
    public static synchronized LlmClient acquire(LlmOptions options) {
        Key key =
                new Key(
                        options.baseUrl(),
                        Objects.hashCode(options.apiKey()),
                        options.maxConcurrent(),
                        options.model());
        Entry entry = CLIENTS.computeIfAbsent(key, k -> new Entry(new OpenAiLlmClient(options)));
        entry.users++;
        return new LlmClient() {
            private boolean released;

            @Override
            public CompletableFuture<LlmResponse> complete(LlmRequest request) {
                return entry.client.complete(request);
            }

            @Override
            public void close() {
                synchronized (LlmClients.class) {
                    if (released) {
                        return;
                    }
                    released = true;
                    if (--entry.users == 0) {
                        CLIENTS.remove(key);
                        entry.client.close();
                    }
                }
            }
        };
    }
}
