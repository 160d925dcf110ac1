package io.reflex.operators.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.agent.ActiveKeys.Phase;
import org.junit.jupiter.api.Test;

class ActiveKeysTest {
    @Test
    void anAnswerCountsOnlyForTheCallItsKeyWaitsFor() {
        ActiveKeys keys = new ActiveKeys();
        ActiveKeys.Key a = keys.activate("A");
        long first = keys.send(a);
        assertThat(keys.inFlight()).isEqualTo(1);
        assertThat(keys.answered("A", first + 1)).as("another call's answer").isFalse();
        assertThat(keys.answered("B", first)).as("a key that is not active").isFalse();
        assertThat(keys.answered("A", first)).isTrue();
        assertThat(a.phase()).isEqualTo(Phase.READY);
        assertThat(keys.answered("A", first)).as("answered twice").isFalse();
        assertThat(keys.inFlight()).isZero();
    }

    @Test
    void aWakeUpCountsOnlyWhileTheKeyStillWaitsForIt() {
        ActiveKeys keys = new ActiveKeys();
        ActiveKeys.Key a = keys.activate("A");
        keys.waitUntil(a, Phase.BACKING_OFF, 100);
        keys.waitUntil(a, Phase.RATE_LIMITED, 150); // replaces the first wake-up
        assertThat(keys.wake("A", 100)).isFalse();
        assertThat(keys.wake("A", 150)).isTrue();
        assertThat(a.phase()).isEqualTo(Phase.READY);
        keys.waitUntil(a, Phase.BACKING_OFF, 200);
        keys.send(a);
        assertThat(keys.wake("A", 200)).as("sent in the meantime").isFalse();
        keys.remove("A");
        assertThat(keys.wake("A", 200)).isFalse();
        assertThat(keys.isEmpty()).isTrue();
        assertThat(keys.inFlight()).as("removing an in-flight key").isZero();
    }

    @Test
    void parkedKeysAreReleasedLongestParkedFirst() {
        ActiveKeys keys = new ActiveKeys();
        ActiveKeys.Key a = keys.activate("A");
        ActiveKeys.Key b = keys.activate("B");
        ActiveKeys.Key c = keys.activate("C");
        keys.park(c);
        keys.park(a);
        keys.send(b);
        keys.park(b);
        assertThat(keys.inFlight()).isZero();
        assertThat(keys.unpark()).containsExactly("C", "A", "B");
        assertThat(keys.unpark()).isEmpty();
        assertThat(a.phase()).isEqualTo(Phase.READY);
    }
}
