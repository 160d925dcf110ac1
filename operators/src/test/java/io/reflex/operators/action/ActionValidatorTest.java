package io.reflex.operators.action;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.testing.TestCatalogue;
import org.junit.jupiter.api.Test;

/** Tests for {@link ActionValidator} and the schema {@link ActionCatalogue} builds. */
class ActionValidatorTest {
    private final ActionValidator validator = new ActionValidator(TestCatalogue.create());

    @Test
    void acceptsValidActions() {
        ActionValidator.Result r =
                validator.validate(
                        "{\"actions\":["
                                + "{\"type\":\"alert\",\"params\":{\"severity\":\"high\"},\"reason\":\"r1\"},"
                                + "{\"type\":\"watch\",\"params\":{\"minutes\":5},\"reason\":\"r2\"}]}");
        assertThat(r.valid()).isTrue();
        assertThat(r.actions())
                .extracting(ActionValidator.ProposedAction::type)
                .containsExactly("alert", "watch");
    }

    @Test
    void anEmptyListIsAnExplicitNoAction() {
        ActionValidator.Result r = validator.validate("{\"actions\":[]}");
        assertThat(r.valid()).isTrue();
        assertThat(r.actions()).isEmpty();
    }

    @Test
    void rejectsUnknownTypesBadParamsAndNonJson() {
        assertThat(
                        validator
                                .validate(
                                        "{\"actions\":[{\"type\":\"sell\",\"params\":{},"
                                                + "\"reason\":\"x\"}]}")
                                .error())
                .as("an action type outside the catalogue is named, not its params' mismatch")
                .isEqualTo("action type 'sell' is not in the catalogue");
        assertThat(
                        validator
                                .validate(
                                        "{\"actions\":[{\"type\":\"alert\",\"params\":"
                                                + "{\"severity\":\"high\"},\"reason\":\"x\"},"
                                                + "{\"type\":\"transfer_funds\",\"params\":"
                                                + "{\"account\":\"X\",\"amount\":1},\"reason\":\"x\"}]}")
                                .error())
                .isEqualTo("action type 'transfer_funds' is not in the catalogue");
        assertThat(
                        validator
                                .validate(
                                        "{\"actions\":[{\"type\":\"alert\",\"params\":"
                                                + "{\"severity\":\"apocalyptic\"},\"reason\":\"x\"}]}")
                                .valid())
                .isFalse();
        assertThat(
                        validator
                                .validate(
                                        "{\"actions\":[{\"type\":\"alert\",\"params\":"
                                                + "{\"severity\":\"low\"}}]}")
                                .valid())
                .as("reason is required")
                .isFalse();
        assertThat(validator.validate("{}").valid()).isFalse();
        assertThat(validator.validate("sure! here you go").error())
                .startsWith("answer is not JSON");
        assertThat(validator.validate("").error()).isEqualTo("empty answer");
    }

    @Test
    void theResponseSchemaIsClosedAndListsEveryType() {
        JsonNode schema = TestCatalogue.create().responseSchema(false, 0);
        assertThat(schema.get("additionalProperties").asBoolean()).isFalse();
        JsonNode branches = schema.at("/properties/actions/items/anyOf");
        assertThat(branches).hasSize(2);
        assertThat(branches.get(0).at("/properties/type/enum/0").asText()).isEqualTo("alert");
        assertThat(branches.get(1).get("required").toString())
                .isEqualTo("[\"type\",\"params\",\"reason\"]");
    }

    @Test
    void withMemoryTheNoteIsRequiredBoundedAndReturned() {
        ActionValidator withMemory = new ActionValidator(TestCatalogue.create(), true, 10);
        ActionValidator.Result ok = withMemory.validate("{\"actions\":[],\"memory\":\"calm\"}");
        assertThat(ok.valid()).isTrue();
        assertThat(ok.memory()).isEqualTo("calm");
        assertThat(withMemory.validate("{\"actions\":[]}").valid()).isFalse();
        assertThat(
                        withMemory
                                .validate("{\"actions\":[],\"memory\":\"far too long a note\"}")
                                .valid())
                .isFalse();
    }
}
