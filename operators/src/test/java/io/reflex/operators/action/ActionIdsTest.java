package io.reflex.operators.action;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.model.Trigger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests for {@link ActionIds}. */
class ActionIdsTest {
    private final Trigger trigger = new Trigger("r", "ACME", 1000, List.of("e1", "e2"), "{}");

    @Test
    void sameInputGivesSameIds() {
        Trigger replayed = new Trigger("r", "ACME", 1000, List.of("e1", "e2"), "{\"other\":1}");
        assertThat(ActionIds.requestId("job", replayed))
                .isEqualTo(ActionIds.requestId("job", trigger))
                .hasSize(32);
        String request = ActionIds.requestId("job", trigger);
        assertThat(ActionIds.actionId(request, 0)).isEqualTo(ActionIds.actionId(request, 0));
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
