package io.reflex.operators.action;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.model.Trigger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests for {@link ActionIds}. */
class ActionIdsTest {
    private final Trigger trigger = new Trigger("r", "ACME", 1000, List.of("e1", "e2"), "{}");

    /**
     * Ids are what downstream services dedupe on across restarts, upgrades and versions: pinned
     * here, computed outside Java (SHA-256 of the documented input, first 16 bytes in hex), so that
     * a change of the recipe fails this test instead of re-issuing every action under new ids.
     */
    @Test
    void idsArePinned() {
        String request = ActionIds.requestId("job", trigger);
        assertThat(request).isEqualTo("c6afb662c671d1e938d53dc4a1afb226");
        assertThat(ActionIds.actionId(request, 0)).isEqualTo("fc8659d4db11a956ffeb81c0273b30ff");
        assertThat(ActionIds.actionId(request, 1)).isEqualTo("f5580dcb34d29845ccb42ba1dd97f19c");
        Trigger later = new Trigger("r", "ACME", 2000, List.of("e3"), "{}");
        assertThat(ActionIds.requestId("job", List.of(trigger, later)))
                .as("coalesced triggers, oldest first")
                .isEqualTo("2d515581c36802a581d8e869b60bd6dc");
    }

    @Test
    void theContextDoesNotChangeTheId() {
        Trigger replayed = new Trigger("r", "ACME", 1000, List.of("e1", "e2"), "{\"other\":1}");
        assertThat(ActionIds.requestId("job", replayed))
                .isEqualTo("c6afb662c671d1e938d53dc4a1afb226");
    }

    @Test
    void jobKeyTriggerAndPositionEachChangeTheId() {
        String base = ActionIds.requestId("job", trigger);
        assertThat(ActionIds.requestId("other-job", trigger)).isNotEqualTo(base);
        assertThat(
                        ActionIds.requestId(
                                "job", new Trigger("r", "GLOBX", 1000, List.of("e1", "e2"), "{}")))
                .isNotEqualTo(base);
        assertThat(ActionIds.requestId("job", new Trigger("r", "ACME", 1000, List.of("e1"), "{}")))
                .isNotEqualTo(base);
        assertThat(
                        ActionIds.requestId(
                                "job", new Trigger("s", "ACME", 1000, List.of("e1", "e2"), "{}")))
                .isNotEqualTo(base);
        assertThat(ActionIds.actionId(base, 0)).isNotEqualTo(ActionIds.actionId(base, 1));
    }
}
