package io.reflex.operators.llm;

import java.time.Duration;
import org.apache.flink.util.ExceptionUtils;

/**
 * A failed LLM call, classified: {@link #retryable()} for 429, 5xx, timeouts, connection errors and
 * unreadable answers; not for 400, 401, 403, 404 and 422, nor for an answer that is a refusal, was
 * cut at max-tokens or was stopped by the content filter, which a retry cannot fix.
 */
public final class LlmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The message prefix of a refused answer; its {@link #cause()} is {@code refusal}. */
    public static final String REFUSED = "refused";

    /** The message prefix of an answer cut at max-tokens; its cause is {@code truncated}. */
    public static final String TRUNCATED = "truncated";

    /** The message prefix of an answer the content filter stopped; cause {@code content_filter}. */
    public static final String CONTENT_FILTERED = "content filtered";

    private final boolean retryable;
    private final int status;
    private final Duration retryAfter;
    private final RateLimits rateLimits;

    public LlmException(
            String message, boolean retryable, int status, Duration retryAfter, Throwable cause) {
        this(message, retryable, status, retryAfter, null, cause);
    }

    public LlmException(
            String message,
            boolean retryable,
            int status,
            Duration retryAfter,
            RateLimits rateLimits,
            Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
        this.status = status;
        this.retryAfter = retryAfter;
        this.rateLimits = rateLimits;
    }

    /**
     * The {@link LlmException} behind {@code error}, unwrapped from a {@code CompletionException};
     * anything else is an unexpected, retryable error.
     */
    public static LlmException from(Throwable error) {
        Throwable e = ExceptionUtils.stripCompletionException(error);
        if (e instanceof LlmException le) {
            return le;
        }
        return new LlmException("unexpected error: " + e, true, 0, null, e);
    }

    public boolean retryable() {
        return retryable;
    }

    /** The HTTP status, or 0 when there was none. */
    public int status() {
        return status;
    }

    /** The provider's quota figures sent with the error answer, or null. */
    public RateLimits rateLimits() {
        return rateLimits;
    }

    /** The server's {@code Retry-After}, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** A short cause for metrics: {@code http_429}, {@code timeout}, {@code io}, ... */
    public String cause() {
        if (status > 0) {
            return "http_" + status;
        }
        String m = String.valueOf(getMessage()).toLowerCase();
        if (m.startsWith(REFUSED + ":")) {
            return "refusal";
        }
        if (m.startsWith(TRUNCATED + ":")) {
            return "truncated";
        }
        if (m.startsWith(CONTENT_FILTERED + ":")) {
            return "content_filter";
        }
        return m.contains("timeout") || m.contains("timed out") ? "timeout" : "io";
    }
}
