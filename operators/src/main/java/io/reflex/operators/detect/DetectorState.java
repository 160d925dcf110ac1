package io.reflex.operators.detect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The statistics the detector keeps for one key, in one value so that an event costs one state read
 * and one write; the recent events are in a list state of their own. A Flink POJO: its serializer
 * supports adding and removing fields across savepoints.
 */
public class DetectorState {
    /**
     * Empty. Until 0.1 the recent events lived here and were read and written with every event;
     * they now have a list state of their own ({@link Detector#RECENT_STATE_NAME}). State restored
     * from a 0.1 savepoint moves them over on the key's next event.
     */
    public List<RecentEvent> recent = new ArrayList<>();

    /** How many events the recent-events list holds, so that it is trimmed without reading it. */
    public int recentCount;

    /** Per-rule statistics, by rule id. */
    public Map<String, RuleState> rules = new HashMap<>();

    /** Event time of the newest event seen for the key. */
    public long lastEventTime = Long.MIN_VALUE;

    /** Id of the newest event seen for the key. */
    public String lastEventId;

    /** Event time the pending absence timer fires at, or {@code Long.MIN_VALUE}. */
    public long absenceTimer = Long.MIN_VALUE;

    /**
     * Events counted for the key. Added after the 0.1 savepoint: state restored from it starts at
     * 0, which Flink's POJO serializer does for a field the savepoint does not have.
     */
    public long eventsSeen;

    public DetectorState() {}

    /** The state of one rule, created on first use. */
    public RuleState rule(String id) {
        return rules.computeIfAbsent(id, k -> new RuleState());
    }
}
