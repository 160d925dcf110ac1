package io.reflex.operators.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.llm.RateLimits;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    @Test
    void splitsEvenlyWithinASecondsBurstUntilTheProviderSpeaks() {
        // 600 a minute for 2 subtasks: 5 a second each, a burst of 5
        RateLimiter r = new RateLimiter(600, 0, 2, true, 0, 0);
        for (int i = 0; i < 5; i++) {
            assertThat(r.acquire(0, 0)).isZero();
        }
        assertThat(r.acquire(0, 0)).isEqualTo(200);
        assertThat(r.acquire(200, 0)).isZero();
        assertThat(r.sharing(200)).isFalse();
    }

    @Test
    void spendsItsPartOfWhatTheProviderSaysRemains() {
        RateLimiter r = new RateLimiter(600, 0, 2, true, 0, 0);
        assertThat(r.acquire(0, 0)).isZero();
        RateLimiter.Mark first = r.mark();
        assertThat(r.acquire(0, 0)).isZero();
        RateLimiter.Mark second = r.mark();
        // When the provider counted the second, 40 remained of a quota whole again in 1 s (so 50
        // in all).
        r.answered(second, new RateLimits(600, 40, 1_000, -1, -1, -1), 100, 0);
        assertThat(r.sharing(100)).isTrue();
        // Half of the 40 is this subtask's: 20 now, then one per 200 ms (half of 10 a second).
        for (int i = 0; i < 20; i++) {
            assertThat(r.acquire(100, 0)).as("call %d", i).isZero();
        }
        assertThat(r.acquire(100, 0)).isEqualTo(200);
        // The first request's figures are older than the second's and do not override them.
        r.answered(first, new RateLimits(600, 50, 0, -1, -1, -1), 150, 0);
        assertThat(r.acquire(150, 0)).isEqualTo(150);
        assertThat(r.acquire(300, 0)).isZero();
        // The refill stops where the quota is whole: after a minute's idling, 25 and no more.
        for (int i = 0; i < 25; i++) {
            assertThat(r.acquire(50_000, 0)).as("call %d after idling", i).isZero();
        }
        assertThat(r.acquire(50_000, 0)).isGreaterThan(0);
    }

    @Test
    void aTooManyRequestsWithoutFiguresReadsAsAnEmptyQuota() {
        RateLimiter r = new RateLimiter(600, 0, 2, true, 0, 0);
        assertThat(r.acquire(0, 0)).isZero();
        r.rateLimited(r.mark(), null, 10);
        assertThat(r.acquire(10, 0)).isEqualTo(200);
    }

    @Test
    void countsPromptAndCompletionBoundAndLearnsWhatTheProviderAdds() {
        // 60,000 tokens a minute, one subtask: 1,000 a second, a burst of 1,000
        RateLimiter r = new RateLimiter(0, 60_000, 1, false, 100, 0);
        assertThat(r.acquire(0, 300)).isZero(); // 300 + 100
        RateLimiter.Mark m = r.mark();
        assertThat(m.tokenCost()).isEqualTo(400);
        // The provider counted 500 prompt tokens: 200 more than the messages' own.
        // The first call is charged 600, so 400 are left; the next costs 300 + 40 learnt + 100.
        r.answered(m, null, 0, 500);
        assertThat(r.acquire(0, 300)).isEqualTo(40);
        assertThat(r.acquire(40, 300)).isZero();
        assertThat(r.mark().tokenCost()).isEqualTo(440);
    }

    @Test
    void theProvidersTokenFiguresAlreadyHoldTheAnswersTrueCost() {
        // 60,000 tokens a minute, one subtask, figures followed; a call's bound is 100 tokens.
        RateLimiter r = new RateLimiter(0, 60_000, 1, true, 100, 0);
        assertThat(r.acquire(0, 300)).isZero(); // taken as 400
        RateLimiter.Mark m = r.mark();
        // The provider counted 500 + 100 and then had 8,800 left: the 200 more it counted are in
        // those 8,800 and must not be taken a second time.
        r.answered(m, new RateLimits(-1, -1, -1, 60_000, 8_800, 1_200), 10, 500);
        int calls = 0;
        while (r.acquire(10, 300) == 0) { // 300 + 40 learnt + 100 each
            calls++;
        }
        assertThat(calls).isEqualTo(8_800 / 440);
    }

    /** Two subtasks, one hot and one cold, against a provider that enforces a shared quota. */
    @Test
    void aHotSubtaskUsesWhatAColdOneLeavesWithoutTooManyRequests() {
        Simulation shared = new Simulation(true).run(60_000);
        Simulation even = new Simulation(false).run(60_000);

        double sharedUse = shared.admitted / shared.admissible(60_000);
        double evenUse = even.admitted / even.admissible(60_000);
        assertThat(sharedUse).as("quota used when shared").isGreaterThan(0.95);
        assertThat((double) shared.rejected / shared.sent).as("429 share").isLessThan(0.01);
        // The cold subtask is not starved: all its demand is admitted.
        assertThat(shared.coldAdmitted).isGreaterThanOrEqualTo(shared.coldDemand - 2);
        // Split evenly, the hot subtask cannot use the cold one's part.
        assertThat(evenUse).as("quota used when split evenly").isLessThan(0.8);
    }

    /**
     * A millisecond-step simulation: a provider with a 600-a-minute quota enforced over 1 s
     * windows, counting requests 10 ms after they are sent and answering after 200 ms (429s after
     * 10 ms); a hot subtask with unbounded demand and 64 in flight at most, and a cold one with a
     * request every 500 ms (a fifth of the quota, less than its half).
     */
    private static final class Simulation {
        static final double PER_MS = 600 / 60_000.0;
        static final double CAPACITY = 10;

        final RateLimiter hot;
        final RateLimiter cold;
        final PriorityQueue<Event> events = new PriorityQueue<>();
        double level = CAPACITY;
        long levelAt;
        int hotInFlight;
        int coldQueued;
        int coldDemand;
        int coldAdmitted;
        int admitted;
        int rejected;
        int sent;

        Simulation(boolean share) {
            hot = new RateLimiter(600, 0, 2, share, 0, 0);
            cold = new RateLimiter(600, 0, 2, share, 0, 0);
        }

        double admissible(long duration) {
            return CAPACITY + PER_MS * duration;
        }

        Simulation run(long duration) {
            for (long now = 0; now < duration; now++) {
                while (!events.isEmpty() && events.peek().at <= now) {
                    events.poll().run.run();
                }
                if (now % 500 == 0) {
                    coldQueued++;
                    coldDemand++;
                }
                while (coldQueued > 0 && cold.acquire(now, 0) == 0) {
                    coldQueued--;
                    send(cold, cold.mark(), now);
                }
                while (hotInFlight < 64 && hot.acquire(now, 0) == 0) {
                    hotInFlight++;
                    send(hot, hot.mark(), now);
                }
            }
            return this;
        }

        private void send(RateLimiter from, RateLimiter.Mark mark, long now) {
            sent++;
            at(
                    now + 10,
                    () -> {
                        long t = now + 10;
                        level = Math.min(CAPACITY, level + (t - levelAt) * PER_MS);
                        levelAt = t;
                        boolean ok = level >= 1;
                        if (ok) {
                            level -= 1;
                            admitted++;
                            if (from == cold) {
                                coldAdmitted++;
                            }
                        } else {
                            rejected++;
                        }
                        RateLimits figures =
                                new RateLimits(
                                        600,
                                        (long) Math.floor(level),
                                        (long) Math.ceil((CAPACITY - level) / PER_MS),
                                        -1,
                                        -1,
                                        -1);
                        at(
                                ok ? now + 200 : now + 11,
                                () -> {
                                    long answeredAt = ok ? now + 200 : now + 11;
                                    if (ok) {
                                        from.answered(mark, figures, answeredAt, 0);
                                    } else {
                                        from.rateLimited(mark, figures, answeredAt);
                                    }
                                    if (from == hot) {
                                        hotInFlight--;
                                    } else if (!ok) {
                                        coldQueued++; // retried
                                    }
                                });
                    });
        }

        private long order;

        private void at(long when, Runnable r) {
            events.add(new Event(when, order++, r));
        }

        private record Event(long at, long order, Runnable run) implements Comparable<Event> {
            @Override
            public int compareTo(Event o) {
                return at != o.at ? Long.compare(at, o.at) : Long.compare(order, o.order);
            }
        }
    }
}
