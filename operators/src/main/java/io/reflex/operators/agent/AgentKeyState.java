package io.reflex.operators.agent;

import io.reflex.operators.model.Trigger;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's work for one key: at most one pending request, and the triggers that arrived while it
 * was pending, to be coalesced into the next one. Cleared when the key has no work left. It has no
 * TTL, because it holds work that must not be lost. A Flink POJO.
 */
public class AgentKeyState {
    /** The request in progress, or null. */
    public PendingRequest pending;

    /** Triggers waiting for the next request, oldest first, bounded. */
    public List<Trigger> backlog = new ArrayList<>();

    public AgentKeyState() {}
}
