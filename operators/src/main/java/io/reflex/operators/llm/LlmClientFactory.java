package io.reflex.operators.llm;

import java.io.Serializable;

/**
 * Creates an operator's {@link LlmClient} in {@code open()}; it is serialized with the operator or
 * function that holds it. {@link LlmClients#acquire} is the default: one client per endpoint and
 * JVM, shared by the subtasks that talk to it. Tests pass a fake.
 */
@FunctionalInterface
public interface LlmClientFactory extends Serializable {
    LlmClient create(LlmOptions options);
}
