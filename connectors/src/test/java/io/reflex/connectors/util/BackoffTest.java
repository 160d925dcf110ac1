package io.reflex.connectors.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void theCeilingDoublesFromTheInitialWaitUpToTheMax() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        assertThat(b.ceilingMillis(1)).isEqualTo(100);
        assertThat(b.ceilingMillis(2)).isEqualTo(200);
        assertThat(b.ceilingMillis(4)).isEqualTo(800);
        assertThat(b.ceilingMillis(5)).isEqualTo(1000);
        assertThat(b.ceilingMillis(Integer.MAX_VALUE)).isEqualTo(1000);
        assertThat(b.ceilingMillis(0)).as("no failure yet counts as the first").isEqualTo(100);
    }

    @Test
    void aHugeMaxDoesNotOverflow() {
        Backoff b = new Backoff(Duration.ofMillis(1), Duration.ofMillis(Long.MAX_VALUE));
        assertThat(b.ceilingMillis(1_000)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void delaysAreDrawnFromTheWholeRangeUpToTheCeiling() {
        Backoff b = new Backoff(Duration.ofMillis(10), Duration.ofMillis(40));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = b.delayMillis(3);
            assertThat(d).isBetween(0L, 40L);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        // Full jitter: 10,000 uniform draws from 41 values reach both ends (P(miss) < 1e-100).
        assertThat(min).isZero();
        assertThat(max).isEqualTo(40);
    }

    @Test
    void aZeroInitialWaitStillGrowsAndAMaxBelowItIsRaised() {
        Backoff zero = new Backoff(Duration.ZERO, Duration.ofSeconds(1));
        assertThat(zero.ceilingMillis(1)).isEqualTo(1);
        assertThat(zero.ceilingMillis(11)).isEqualTo(1000);
        assertThat(new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).ceilingMillis(3))
                .isEqualTo(2000);
    }
}
