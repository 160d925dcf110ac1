package io.reflex.connectors.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Tests for {@link Option} and {@link Durations}. */
class OptionTest {

    @Test
    void durationsAreWrittenInTheLargestWholeUnitAndReadBack() {
        assertThat(Durations.format(Duration.ofMillis(200))).isEqualTo("200ms");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Durations.format(Duration.ofMinutes(15))).isEqualTo("15m");
        assertThat(Durations.format(Duration.ofHours(48))).isEqualTo("2d");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        for (String text : new String[] {"1ms", "1500ms", "59s", "61m", "25h", "7d"}) {
            assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
        }
    }

    @Test
    void durationsRefuseWhatIsNotOneNumberAndOneUnit() {
        assertThat(Durations.parse(" 10 s ")).isEqualTo(Duration.ofSeconds(10));
        for (String bad : new String[] {"0", "1.5s", "10 sec", "-1s", "s", "1s2ms", ""}) {
            assertThat(Durations.parse(bad)).as(bad).isNull();
        }
    }

    @Test
    void theDefaultIsShownAsAJobFileWritesIt() {
        assertThat(
                        Option.key("a")
                                .durationType()
                                .defaultValue(Duration.ofSeconds(30))
                                .defaultText())
                .isEqualTo("`30s`");
        assertThat(Option.key("b").doubleType().defaultValue(3.0).defaultText()).isEqualTo("`3`");
        assertThat(Option.key("c").doubleType().defaultValue(1e-6).between(0.0, 2.0).defaultText())
                .isEqualTo("`0.000001`");
        assertThat(Option.key("d").stringType().required().defaultText()).isEqualTo("required");
        assertThat(Option.key("e").stringType().noDefaultValue().defaultText()).isEmpty();
        assertThat(
                        Option.key("f")
                                .stringType()
                                .noDefaultValue()
                                .withDefaultText("record timestamp")
                                .defaultText())
                .isEqualTo("record timestamp");
    }

    @Test
    void eachWithReturnsACopyAndKeepsTheRest() {
        Option<Integer> base = Option.key("n").intType().defaultValue(4).between(1, 20);
        Option<Integer> described = base.withDescription("attempts").withDeprecatedKeys("old-n");
        assertThat(base.description()).isEmpty();
        assertThat(base.deprecatedKeys()).isEmpty();
        assertThat(described.defaultValue()).isEqualTo(4);
        assertThat(described.min()).isEqualTo(1);
        assertThat(described.max()).isEqualTo(20);
        assertThat(described.deprecatedKeys()).containsExactly("old-n");
        assertThat(described.description()).isEqualTo("attempts");
    }
}
