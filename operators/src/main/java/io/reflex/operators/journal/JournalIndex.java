package io.reflex.operators.journal;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The journal entries a restored subtask may still need, by request id and by the id of each
 * trigger they cover. Bounded: past {@code maxEntries} the oldest entry is dropped, and a request
 * that needed it calls the LLM again. An entry is taken once; afterwards its request has ended.
 */
public final class JournalIndex {
    private final int maxEntries;
    private final Map<String, JournalEntry> byRequest;
    private final Map<String, String> requestByTrigger = new HashMap<>();
    private long dropped;

    public JournalIndex(int maxEntries) {
        this.maxEntries = maxEntries;
        this.byRequest =
                new LinkedHashMap<>() {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, JournalEntry> eldest) {
                        if (size() <= JournalIndex.this.maxEntries) {
                            return false;
                        }
                        forgetTriggers(eldest.getValue());
                        dropped++;
                        return true;
                    }
                };
    }

    /** Adds {@code e}; a later entry for the same request replaces an earlier one. */
    public void add(JournalEntry e) {
        JournalEntry old = byRequest.remove(e.requestId());
        if (old != null) {
            forgetTriggers(old);
        }
        byRequest.put(e.requestId(), e);
        for (String t : e.triggerIds()) {
            requestByTrigger.put(t, e.requestId());
        }
    }

    /** The entry of {@code requestId}, removed from the index; null when there is none. */
    public JournalEntry take(String requestId) {
        JournalEntry e = byRequest.remove(requestId);
        if (e != null) {
            forgetTriggers(e);
        }
        return e;
    }

    /** The entry that covers the trigger {@code triggerId}, left in place; or null. */
    public JournalEntry covering(String triggerId) {
        String request = requestByTrigger.get(triggerId);
        return request == null ? null : byRequest.get(request);
    }

    public int size() {
        return byRequest.size();
    }

    /** Entries dropped to keep within the bound. */
    public long dropped() {
        return dropped;
    }

    public boolean isEmpty() {
        return byRequest.isEmpty();
    }

    private void forgetTriggers(JournalEntry e) {
        for (String t : e.triggerIds()) {
            requestByTrigger.remove(t, e.requestId());
        }
    }
}
