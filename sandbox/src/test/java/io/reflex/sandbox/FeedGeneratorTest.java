package io.reflex.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests for {@link FeedGenerator}. */
class FeedGeneratorTest {

    private static List<FeedGenerator.FeedRecord> take(long seed, int n) {
        FeedGenerator.Options d = FeedGenerator.Options.defaults(1_000);
        FeedGenerator g =
                new FeedGenerator(
                        new FeedGenerator.Options(
                                d.symbols(),
                                seed,
                                d.startMillis(),
                                d.stepMillis(),
                                d.newsProbability(),
                                d.alarmingProbability(),
                                d.jumpProbability(),
                                d.spikeProbability()));
        List<FeedGenerator.FeedRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(g.next());
        }
        return out;
    }

    @Test
    void isDeterministicForASeed() {
        assertThat(take(3, 500)).isEqualTo(take(3, 500));
        assertThat(take(3, 500)).isNotEqualTo(take(4, 500));
    }

    @Test
    void mixesTradesAndNewsWithAlarmingHeadlinesAndAdvancesEventTime() {
        List<FeedGenerator.FeedRecord> feed = take(7, 5_000);
        assertThat(feed).anyMatch(r -> r.topic().equals(FeedGenerator.TRADES_TOPIC));
        assertThat(feed).anyMatch(r -> r.topic().equals(FeedGenerator.NEWS_TOPIC));
        assertThat(feed).anyMatch(r -> r.json().contains("fraud") || r.json().contains("recall"));
        assertThat(feed.get(1).eventTime() - feed.get(0).eventTime()).isEqualTo(20);
        assertThat(feed).allMatch(r -> r.json().contains("\"symbol\":\"" + r.key() + "\""));
    }
}
