package io.reflex.operators.llm;

import io.reflex.connectors.util.Backoff;
import java.io.Serializable;
import java.time.Duration;

/**
 * When to try an LLM request again: exponential backoff with full jitter, a server's {@code
 * Retry-After} honoured, a bounded number of attempts, and a deadline for the whole request.
 */
public final class RetryPolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int maxAttempts;
    private final Backoff backoff;
    private final long deadlineMs;

    public RetryPolicy(int maxAttempts, Duration initial, Duration max, Duration deadline) {
        this.maxAttempts = maxAttempts;
        this.backoff = new Backoff(initial, max);
        this.deadlineMs = deadline.toMillis();
    }

    /** The policy of the given options. */
    public static RetryPolicy of(LlmOptions options) {
        return new RetryPolicy(
                options.maxAttempts(),
                options.initialBackoff(),
                options.maxBackoff(),
                options.requestDeadline());
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * The delay before attempt {@code attempt + 1}, or null when the request must give up: the
     * error is not retryable, the attempts are used up, or the retry would start past the deadline.
     *
     * @param attempt attempts made so far, at least 1
     * @param error the last attempt's error
     * @param elapsedMs time since the first attempt started
     */
    public Duration nextDelay(int attempt, LlmException error, long elapsedMs) {
        if (!error.retryable() || attempt >= maxAttempts) {
            return null;
        }
        long delay = backoff.delayMillis(attempt);
        if (error.retryAfter() != null) {
            delay = Math.max(delay, error.retryAfter().toMillis());
        }
        if (elapsedMs + delay >= deadlineMs) {
            return null;
        }
        return Duration.ofMillis(delay);
    }
}
