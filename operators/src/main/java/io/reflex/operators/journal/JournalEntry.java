package io.reflex.operators.journal;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.model.Json;
import java.io.IOException;
import java.util.List;

/**
 * One answered LLM request, as the journal keeps it: enough to decide again without calling the
 * LLM, with the same action ids and the same action records. Written as JSON (version 1), keyed by
 * the request id; {@code docs/journal.schema.json} describes it.
 *
 * @param requestId the request's id: job, key and trigger ids, hashed
 * @param key the entity key
 * @param contentHash SHA-256 of what was asked: model, messages, response schema and tools
 * @param triggerIds the ids of the triggers it decided on ({@link
 *     io.reflex.operators.action.ActionIds#requestId} of each alone), oldest first
 * @param model the model that answered
 * @param content the final answer's content, as the model wrote it
 * @param promptTokens prompt tokens over the request's calls
 * @param completionTokens completion tokens over the request's calls
 * @param latencyMs the final call's latency
 * @param attempts attempts made
 * @param answeredAt when the answer was decided on, epoch milliseconds
 */
public record JournalEntry(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("key") String key,
        @JsonProperty("content_hash") String contentHash,
        @JsonProperty("trigger_ids") List<String> triggerIds,
        @JsonProperty("model") String model,
        @JsonProperty("content") String content,
        @JsonProperty("prompt_tokens") long promptTokens,
        @JsonProperty("completion_tokens") long completionTokens,
        @JsonProperty("latency_ms") long latencyMs,
        @JsonProperty("attempts") int attempts,
        @JsonProperty("answered_at") long answeredAt) {

    /** The version of the JSON form; an entry of another version is skipped, never misread. */
    public static final int VERSION = 1;

    /** The answer as the interpreter reads it: the final content, no tool calls. */
    public LlmResponse response() {
        return new LlmResponse(
                content, List.of(), model, promptTokens, completionTokens, latencyMs, null);
    }

    /** The entry's JSON, with its version. */
    public byte[] toJson() {
        try {
            return Json.MAPPER.writeValueAsBytes(new Versioned(VERSION, this));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a journal entry as JSON", e);
        }
    }

    /** The entry in {@code json}, or null when it is not a version-1 entry. */
    public static JournalEntry fromJson(byte[] json) {
        try {
            Versioned v = Json.MAPPER.readValue(json, Versioned.class);
            return v.version() == VERSION ? v.entry() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The JSON form: {@code {"v":1,"entry":{...}}}. */
    record Versioned(@JsonProperty("v") int version, @JsonProperty("entry") JournalEntry entry) {}
}
