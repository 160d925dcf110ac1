package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.AuditJson;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests for {@link AuditTable}: per-key totals of real audit records. */
class AuditTableTest {

    private static Trigger trigger(String key, String id) {
        return new Trigger("r", key, 1, List.of(id), "{}");
    }

    private static Action action(String key) {
        return new Action(
                "0123456789abcdef0123456789abcdef",
                key,
                "alert",
                "{}",
                "why",
                "r",
                List.of("e"),
                1,
                "m",
                10,
                2,
                5,
                1,
                9);
    }

    private static JsonNode audit(
            String key, List<Trigger> triggers, List<Action> actions, int attempts, String by) {
        return Json.tree(
                AuditJson.render(
                        "0123456789abcdef0123456789abcdef",
                        key,
                        triggers,
                        by,
                        new AuditJson.Figures("m", 100, 20, 1_500, 10, attempts),
                        actions,
                        null,
                        actions == null ? "after 2 attempt(s): HTTP 500" : null,
                        null,
                        5));
    }

    @Test
    void eachKeysTriggersCallsActionsDeadLettersTokensAndCostAddUp() {
        List<JsonNode> records =
                List.of(
                        audit(
                                "ACME",
                                List.of(trigger("ACME", "a")),
                                List.of(action("ACME")),
                                1,
                                "llm"),
                        audit(
                                "ACME",
                                List.of(trigger("ACME", "b"), trigger("ACME", "c")),
                                List.of(),
                                2,
                                "llm"),
                        audit("BETA", List.of(trigger("BETA", "d")), null, 2, "llm"),
                        audit(
                                "GAMMA",
                                List.of(trigger("GAMMA", "e")),
                                List.of(action("GAMMA")),
                                1,
                                "journal"));
        String table = AuditTable.render(records, 2);
        assertThat(table.lines())
                .containsExactly(
                        "key          triggers llm_calls coalesced actions no_action dead_letters   tokens   cost_usd",
                        "ACME                3         3         1       1         1            0      240   0.003000",
                        "BETA                1         2         0       0         0            1      120   0.001500",
                        "... and 1 more keys",
                        "all 3               5         5         1       2         1            1      480   0.006000");
    }
}
