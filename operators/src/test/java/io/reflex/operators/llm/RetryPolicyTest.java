package io.reflex.operators.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Tests for {@link RetryPolicy}. */
class RetryPolicyTest {
    private final RetryPolicy policy =
            new RetryPolicy(
                    4, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(10));

    private static LlmException retryable(Duration retryAfter) {
        return new LlmException("429", true, 429, retryAfter, null);
    }

    @Test
    void backsOffWithFullJitterBelowTheExponentialCeiling() {
        for (int i = 0; i < 200; i++) {
            assertThat(policy.nextDelay(1, retryable(null), 0).toMillis()).isBetween(0L, 100L);
            assertThat(policy.nextDelay(3, retryable(null), 0).toMillis()).isBetween(0L, 400L);
        }
    }

    @Test
    void honoursRetryAfter() {
        assertThat(policy.nextDelay(1, retryable(Duration.ofSeconds(2)), 0))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void givesUpOnNonRetryableErrorsUsedUpAttemptsAndThePassedDeadline() {
        assertThat(policy.nextDelay(1, new LlmException("401", false, 401, null, null), 0))
                .isNull();
        assertThat(policy.nextDelay(4, retryable(null), 0)).isNull();
        assertThat(policy.nextDelay(1, retryable(Duration.ofSeconds(5)), 6_000)).isNull();
    }
}
