package io.reflex.operators.action;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.reflex.operators.llm.StructuredOutput;
import io.reflex.operators.model.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Validates an LLM answer locally against the catalogue's response schema, and checks once more
 * that every action type is in the catalogue. Thread-safe once built. Not serializable: build it in
 * {@code open()}.
 */
public final class ActionValidator {

    /** One action of a valid answer. */
    public record ProposedAction(String type, JsonNode params, String reason) {}

    /**
     * A valid answer (possibly empty: no action) or the reason it is invalid, with the memory note
     * the answer carried (null without one).
     */
    public record Result(List<ProposedAction> actions, String memory, String error) {
        public boolean valid() {
            return error == null;
        }
    }

    private final ActionCatalogue catalogue;
    private final JsonSchema schema;

    /** Each type's params schema, parsed once, for reading an optional param's null as absent. */
    private final java.util.Map<String, JsonNode> paramsSchemas = new java.util.HashMap<>();

    /** A validator for answers with a {@code memory} note, as {@code withMemory} says. */
    public ActionValidator(ActionCatalogue catalogue, boolean withMemory, int memoryMaxChars) {
        this.catalogue = catalogue;
        this.schema =
                JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                        .getSchema(catalogue.responseSchema(withMemory, memoryMaxChars));
        // The schema builds its validators lazily, and that is not thread-safe: build them now,
        // so that answers can be validated concurrently on the HTTP client's threads.
        this.schema.initializeValidators();
        catalogue
                .types()
                .forEach((name, t) -> paramsSchemas.put(name, Json.tree(t.paramsSchema())));
    }

    /** A validator for answers without memory. */
    public ActionValidator(ActionCatalogue catalogue) {
        this(catalogue, false, 0);
    }

    /**
     * Validates the answer's content. Synchronized: the schema library's validation is not safe to
     * run concurrently (seen as wrong results when answers were validated on several HTTP client
     * threads at once), and the stateless function validates on those threads.
     */
    public synchronized Result validate(String content) {
        if (content == null || content.isBlank()) {
            return new Result(List.of(), null, "empty answer");
        }
        JsonNode answer;
        try {
            answer = Json.MAPPER.readTree(content);
        } catch (JsonProcessingException e) {
            return new Result(List.of(), null, "answer is not JSON: " + e.getOriginalMessage());
        }
        // An action outside the catalogue is named as such, before the schema's anyOf would
        // report it as every branch's mismatch of its params.
        for (JsonNode a : answer.path("actions")) {
            JsonNode type = a.path("type");
            if (type.isTextual() && !catalogue.contains(type.asText())) {
                return new Result(
                        List.of(),
                        null,
                        "action type '" + type.asText() + "' is not in the catalogue");
            }
        }
        // Strict structured output sends optional params as required and nullable
        // (StructuredOutput#strict): their null means absent, as the job file's schema says.
        for (JsonNode a : answer.path("actions")) {
            JsonNode params = a.get("params");
            JsonNode paramsSchema = paramsSchemas.get(a.path("type").asText());
            if (params != null && paramsSchema != null) {
                StructuredOutput.dropNullOptionals(params, paramsSchema);
            }
        }
        Set<ValidationMessage> errors = schema.validate(answer);
        if (!errors.isEmpty()) {
            return new Result(
                    List.of(),
                    null,
                    "answer violates the schema: "
                            + errors.stream()
                                    .map(ValidationMessage::getMessage)
                                    .distinct()
                                    .sorted()
                                    .limit(5)
                                    .collect(Collectors.joining("; ")));
        }
        List<ProposedAction> actions = new ArrayList<>();
        for (JsonNode a : answer.get("actions")) {
            String type = a.get("type").asText();
            if (!catalogue.contains(type)) {
                return new Result(
                        List.of(), null, "action type '" + type + "' is not in the catalogue");
            }
            actions.add(new ProposedAction(type, a.get("params"), a.get("reason").asText()));
        }
        JsonNode memory = answer.get("memory");
        return new Result(actions, memory == null ? null : memory.asText(), null);
    }
}
