package io.reflex.operators.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RateLimitsTest {

    @Test
    void readsOpenAisResetTimes() {
        assertThat(RateLimits.durationMs("1s")).isEqualTo(1_000);
        assertThat(RateLimits.durationMs("6m0s")).isEqualTo(360_000);
        assertThat(RateLimits.durationMs("20ms")).isEqualTo(20);
        assertThat(RateLimits.durationMs("1.5s")).isEqualTo(1_500);
        assertThat(RateLimits.durationMs("1h2m3.5s")).isEqualTo(3_723_500);
        assertThat(RateLimits.durationMs("2")).isEqualTo(2_000);
        assertThat(RateLimits.durationMs("soon")).isEqualTo(-1);
        assertThat(RateLimits.durationMs("1s garbage")).isEqualTo(-1);
        assertThat(RateLimits.durationMs(null)).isEqualTo(-1);
    }

    @Test
    void readsTheHeadersAndMarksWhatIsMissing() {
        Map<String, List<String>> headers =
                Map.of(
                        "x-ratelimit-limit-requests", List.of("500"),
                        "x-ratelimit-remaining-requests", List.of("499"),
                        "x-ratelimit-reset-requests", List.of("120ms"),
                        "x-ratelimit-remaining-tokens", List.of("not a number"));
        RateLimits r = RateLimits.from(h -> headers.getOrDefault(h, List.of()));
        assertThat(r).isEqualTo(new RateLimits(500, 499, 120, -1, -1, -1));
        assertThat(RateLimits.from(h -> List.of())).isNull();
    }
}
