package io.reflex.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The README's key tables and {@code docs/job.schema.json} are what {@link JobFileOptions} renders.
 * When an option changes, run this test with {@code -Dreflex.update-docs=true} to rewrite both, and
 * commit them with the change:
 *
 * <pre>mvn -pl jobs test -Dtest=JobFileReferenceTest -Dreflex.update-docs=true</pre>
 */
class JobFileReferenceTest {
    private static final Path README = Path.of("../README.md");
    private static final Path SCHEMA = Path.of("../docs/job.schema.json");
    private static final boolean UPDATE = Boolean.getBoolean("reflex.update-docs");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void theReadmesTablesAreTheOptions() throws Exception {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        String rendered = JobFileReference.withTables(readme);
        if (UPDATE) {
            Files.writeString(README, rendered, StandardCharsets.UTF_8);
        }
        assertThat(readme)
                .as(
                        "README.md's job-file tables differ from JobFileOptions; rerun this test"
                                + " with -Dreflex.update-docs=true and commit the README")
                .isEqualTo(rendered);
    }

    @Test
    void thePublishedSchemaIsTheOptions() throws Exception {
        String rendered = JobFileReference.jsonSchema();
        if (UPDATE) {
            Files.writeString(SCHEMA, rendered, StandardCharsets.UTF_8);
        }
        assertThat(Files.readString(SCHEMA, StandardCharsets.UTF_8))
                .as(
                        "docs/job.schema.json differs from JobFileOptions; rerun this test with"
                                + " -Dreflex.update-docs=true and commit it")
                .isEqualTo(rendered);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "examples/market-watch.yaml",
                "examples/investigate.yaml",
                "../savepoints/src/test/resources/compat/job.yaml"
            })
    void theJobFilesInTheRepositoryMeetTheSchema(String file) throws Exception {
        assertThat(errors(YAML.readTree(Path.of(file).toFile()))).isEmpty();
    }

    @Test
    void theSchemaRefusesWhatTheParserRefuses() throws Exception {
        JsonNode example = YAML.readTree(Path.of("examples/market-watch.yaml").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) example.get("llm"))
                .put("max-concurent", 8);
        ((com.fasterxml.jackson.databind.node.ObjectNode) example.get("sinks"))
                .put("delivery", "maybe");
        ((com.fasterxml.jackson.databind.node.ObjectNode) example.get("job"))
                .put("max-parallelism", 0);
        ((com.fasterxml.jackson.databind.node.ObjectNode) example.get("sources").get(0))
                .put("max-out-of-orderness", "soon");
        assertThat(errors(example))
                .extracting(ValidationMessage::getInstanceLocation)
                .map(Object::toString)
                .contains(
                        "$.llm",
                        "$.sinks.delivery",
                        "$.job.max-parallelism",
                        "$.sources[0].max-out-of-orderness");
    }

    @Test
    void aWebSocketSourceIsCheckedAgainstItsOwnKeys() throws Exception {
        JsonNode job =
                YAML.readTree(
                        String.join(
                                "\n",
                                "job: {name: j}",
                                "sources:",
                                "  - {name: w, type: websocket, urls: ['ws://x'], key: /k,",
                                "     reconnect: {give-up: sulk}, topics: [t]}",
                                "rules: [{id: r, type: match, field: /f, pattern: x}]",
                                "llm: {base-url: 'http://x/v1', model: m}",
                                "actions: [{type: alert}]",
                                "sinks: {bootstrap-servers: k}",
                                ""));
        assertThat(errors(job))
                .extracting(m -> m.getInstanceLocation().toString())
                .contains("$.sources[0]", "$.sources[0].reconnect.give-up");
    }

    private static Set<ValidationMessage> errors(JsonNode job) throws Exception {
        JsonSchema schema =
                JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                        .getSchema(Files.readString(SCHEMA, StandardCharsets.UTF_8));
        return schema.validate(job);
    }
}
