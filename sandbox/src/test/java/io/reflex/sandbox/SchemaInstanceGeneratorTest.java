package io.reflex.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import org.junit.jupiter.api.Test;

/** Tests for {@link SchemaInstanceGenerator}, checked by an independent JSON Schema validator. */
class SchemaInstanceGeneratorTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final String SCHEMA =
            "{\"type\":\"object\",\"additionalProperties\":false,"
                    + "\"required\":[\"actions\",\"note\"],\"properties\":{"
                    + "\"note\":{\"type\":[\"string\",\"null\"],\"minLength\":30,\"maxLength\":40},"
                    + "\"actions\":{\"type\":\"array\",\"minItems\":2,\"maxItems\":3,\"items\":{\"anyOf\":["
                    + "{\"type\":\"object\",\"required\":[\"type\",\"params\"],\"properties\":{"
                    + "\"type\":{\"type\":\"string\",\"enum\":[\"alert\"]},"
                    + "\"params\":{\"type\":\"object\",\"properties\":{"
                    + "\"level\":{\"type\":\"integer\",\"minimum\":3,\"maximum\":5},"
                    + "\"ok\":{\"type\":\"boolean\"},\"ratio\":{\"type\":\"number\",\"maximum\":1},"
                    + "\"tag\":{\"const\":\"x\"}},\"required\":[\"level\"]}}},"
                    + "{\"$ref\":\"#/$defs/watch\"}]}}},"
                    + "\"$defs\":{\"watch\":{\"type\":\"object\",\"required\":[\"type\"],"
                    + "\"properties\":{\"type\":{\"type\":\"string\",\"enum\":[\"watch\"]}}}}}";

    private static JsonSchema validator(JsonNode schema) {
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
    }

    @Test
    void generatesConformingInstancesForManySeeds() throws Exception {
        JsonNode schema = MAPPER.readTree(SCHEMA);
        for (long seed = 0; seed < 200; seed++) {
            JsonNode instance = SchemaInstanceGenerator.generate(schema, seed);
            assertThat(validator(schema).validate(instance))
                    .as("seed %d gave %s", seed, instance)
                    .isEmpty();
        }
    }

    @Test
    void theSameSeedGivesTheSameInstance() throws Exception {
        JsonNode schema = MAPPER.readTree(SCHEMA);
        assertThat(SchemaInstanceGenerator.generate(schema, 9))
                .isEqualTo(SchemaInstanceGenerator.generate(schema, 9));
    }

    @Test
    void violationsFailValidation() throws Exception {
        JsonNode schema = MAPPER.readTree(SCHEMA);
        for (long seed = 0; seed < 20; seed++) {
            assertThat(validator(schema).validate(SchemaInstanceGenerator.violate(schema, seed)))
                    .isNotEmpty();
        }
    }
}
