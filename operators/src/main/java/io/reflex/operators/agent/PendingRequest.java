package io.reflex.operators.agent;

import io.reflex.operators.model.Trigger;
import java.util.ArrayList;
import java.util.List;

/**
 * A key's LLM request that has not ended yet: in flight, waiting to be retried, rate-limited or
 * parked behind an open circuit breaker. Checkpointed with the key, so that it is re-issued after a
 * restore by whichever subtask then owns the key. A Flink POJO.
 */
public class PendingRequest {
    /** Deterministic id of the request: job, key and trigger ids. */
    public String requestId;

    /** The triggers it decides on, oldest first; more than one when triggers were coalesced. */
    public List<Trigger> triggers = new ArrayList<>();

    /** Attempts made, counted against the maximum; kept across restarts. */
    public int attempts;

    /** Wall-clock time of the first attempt, for the request deadline; -1 before it. */
    public long firstAttemptAt = -1;

    /** The last error, for the dead letter if the request gives up. */
    public String lastError;

    /** Whether the one repair attempt for an invalid answer was used. */
    public boolean repaired;

    /** Tool rounds used. */
    public int toolRounds;

    /**
     * After a restore: the ids of the triggers that the journal recorded as this request, while the
     * rest of them are still to come; null otherwise.
     */
    public List<String> journalGroup;

    public PendingRequest() {}

    public PendingRequest(String requestId, List<Trigger> triggers) {
        this.requestId = requestId;
        this.triggers = new ArrayList<>(triggers);
    }
}
