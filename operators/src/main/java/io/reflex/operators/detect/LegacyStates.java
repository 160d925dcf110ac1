package io.reflex.operators.detect;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;

/**
 * The detector's state of earlier formats, read only to move it into a {@link KeyStats} on a key's
 * first event or timer after an upgrade, and cleared then: the 0.1 format's POJO ({@link
 * DetectorState}) and map state of event ids, and the recent events that formats 1 to 3 kept beside
 * the value (a list state, then a ring of map-state slots). A key that has moved costs none of
 * these lookups again. Used on the task thread with the key set.
 */
final class LegacyStates {
    /** Keeps a moved event as the key's newest recent event, as the detector does. */
    @FunctionalInterface
    interface Remember {
        void remember(KeyStats s, String id, long eventTime, String source, String payload);
    }

    private final DetectorOptions options;
    private final Remember remember;
    private final ValueState<DetectorState> state;
    private final MapState<String, Boolean> seenIds;
    private final ListState<RecentEvent> recent;
    private final MapState<Integer, RecentEvent> recentSlots;

    LegacyStates(RuntimeContext context, DetectorOptions options, Remember remember) {
        this.options = options;
        this.remember = remember;
        this.state = context.getState(DetectorStates.stateDescriptor(options));
        this.seenIds = context.getMapState(DetectorStates.seenIdsDescriptor(options));
        this.recent = context.getListState(DetectorStates.recentDescriptor(options));
        this.recentSlots = context.getMapState(DetectorStates.recentSlotsDescriptor(options));
    }

    /** The current key's statistics of the 0.1 format moved into a {@code KeyStats}, or null. */
    KeyStats fromLegacyState() throws Exception {
        DetectorState old = state.value();
        Iterable<String> oldIds = seenIds.keys();
        boolean hasOldIds = oldIds != null && oldIds.iterator().hasNext();
        if (old == null && !hasOldIds) {
            return null;
        }
        KeyStats s =
                KeyStats.fromLegacy(
                        old,
                        hasOldIds ? oldIds : null,
                        (int) (System.currentTimeMillis() / 1000),
                        options.maxSamples(),
                        options.dedupeWindow());
        moveRecentEvents(s, old);
        state.clear();
        seenIds.clear();
        return s;
    }

    /**
     * Moves the recent events of the older formats into {@code s}, oldest first: those in the 0.1
     * POJO ({@code old}, when given), in the list state of format 1, and in the ring of slots of
     * formats 2 and 3; then clears those states. Only the newest {@code context-events} are kept.
     */
    void moveRecentEvents(KeyStats s, DetectorState old) throws Exception {
        s.recentIn = KeyStats.RecentIn.VALUE;
        List<RecentEvent> moved = new ArrayList<>();
        if (old != null) {
            moved.addAll(old.recent);
        }
        Iterable<RecentEvent> listed = recent.get();
        if (listed != null) {
            listed.forEach(moved::add);
        }
        moved.addAll(DetectorStates.inWriteOrder(recentSlots.values()));
        s.clearRecent();
        for (RecentEvent e : moved) {
            remember.remember(s, e.id, e.eventTime, e.source, e.payload);
        }
        recent.clear();
        recentSlots.clear();
    }
}
