package io.reflex.operators.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * What the agent remembers about one key: its last decisions and a short note it may rewrite in
 * each answer. Bounded in entries and characters, with a TTL. A Flink POJO.
 */
public class AgentMemory {
    /** The last decisions, oldest first, one line each. */
    public List<String> decisions = new ArrayList<>();

    /** The LLM's note about the key. */
    public String note = "";

    public AgentMemory() {}

    /** The memory as text for the prompt, or null when there is none. */
    public String render() {
        if (decisions.isEmpty() && (note == null || note.isBlank())) {
            return null;
        }
        StringBuilder s = new StringBuilder();
        if (note != null && !note.isBlank()) {
            s.append("note: ").append(note).append('\n');
        }
        for (String d : decisions) {
            s.append("decision: ").append(d).append('\n');
        }
        return s.toString().trim();
    }
}
