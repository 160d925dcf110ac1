package io.reflex.operators.agent;

import io.reflex.operators.model.Action;
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

    /**
     * Records a decision on triggers up to {@code eventTime}: one line per action, or one for no
     * action; keeps the newest {@code maxDecisions}, and replaces the note when the answer gave
     * one, cut to {@code maxNoteChars}.
     */
    void record(
            long eventTime,
            List<Action> actions,
            String newNote,
            int maxDecisions,
            int maxNoteChars) {
        String when = "at event time " + eventTime;
        if (actions.isEmpty()) {
            decisions.add(when + ": no action");
        }
        for (Action a : actions) {
            decisions.add(when + ": " + a.type() + " " + a.params() + " because " + a.reason());
        }
        while (decisions.size() > maxDecisions) {
            decisions.remove(0);
        }
        if (newNote != null) {
            note = newNote.length() > maxNoteChars ? newNote.substring(0, maxNoteChars) : newNote;
        }
    }

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
