package io.reflex.operators.llm;

import java.util.concurrent.CompletableFuture;

/**
 * Sends chat-completion requests without blocking the caller. The future fails with an {@link
 * LlmException} that says whether a retry may help. Implementations make exactly one attempt:
 * retrying is the caller's policy.
 */
public interface LlmClient extends AutoCloseable {

    /** Sends one attempt of {@code request}. */
    CompletableFuture<LlmResponse> complete(LlmRequest request);

    @Override
    void close();
}
