package io.reflex.operators.detect;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.base.IntSerializer;

/**
 * The detector's keyed state: its names and descriptors, this version's and the earlier formats'
 * that {@link Detector} moves into {@link KeyStats}, shared with the savepoint tooling. The names
 * are part of the savepoint format; do not change them.
 */
public final class DetectorStates {
    /** The per-key value of this version, {@link KeyStats}. */
    public static final String STATS_STATE_NAME = "detector-stats";

    /** The per-key POJO of the 0.1 format, read only to move it into {@link KeyStats}. */
    public static final String STATE_NAME = "detector-state";

    public static final String SEEN_IDS_STATE_NAME = "detector-seen-ids";

    /** The recent events of {@code KeyStats} format 1, read only to move them over. */
    public static final String RECENT_STATE_NAME = "detector-recent";

    /**
     * The recent events of {@code KeyStats} formats 2 and 3 (Reflex 0.2): a ring of {@code
     * context-events} map-state slots per key ({@code seq % context-events}), read only to move
     * them over.
     */
    public static final String RECENT_SLOTS_STATE_NAME = "detector-recent-slots";

    private DetectorStates() {}

    /** The per-key statistics' descriptor, shared with savepoint tooling. */
    public static ValueStateDescriptor<KeyStats> statsDescriptor(DetectorOptions options) {
        ValueStateDescriptor<KeyStats> d =
                new ValueStateDescriptor<>(STATS_STATE_NAME, KeyStatsSerializer.INSTANCE);
        d.enableTimeToLive(ttl(options.stateTtl()));
        return d;
    }

    /** The descriptor of the per-key POJO of the 0.1 format, shared with savepoint tooling. */
    public static ValueStateDescriptor<DetectorState> stateDescriptor(DetectorOptions options) {
        ValueStateDescriptor<DetectorState> d =
                new ValueStateDescriptor<>(STATE_NAME, TypeInformation.of(DetectorState.class));
        d.enableTimeToLive(ttl(options.stateTtl()));
        return d;
    }

    /**
     * The descriptor of the recent events' list of {@code KeyStats} format 1, to move them over.
     */
    public static ListStateDescriptor<RecentEvent> recentDescriptor(DetectorOptions options) {
        ListStateDescriptor<RecentEvent> d =
                new ListStateDescriptor<>(RECENT_STATE_NAME, TypeInformation.of(RecentEvent.class));
        d.enableTimeToLive(ttl(options.stateTtl()));
        return d;
    }

    /** The recent events' ring of formats 2 and 3, with the job's TTL, to move them over. */
    public static MapStateDescriptor<Integer, RecentEvent> recentSlotsDescriptor(
            DetectorOptions options) {
        MapStateDescriptor<Integer, RecentEvent> d = recentSlotsDescriptor();
        d.enableTimeToLive(ttl(options.stateTtl()));
        return d;
    }

    /** The recent events' ring of formats 2 and 3 without a TTL: savepoint tooling sets its own. */
    public static MapStateDescriptor<Integer, RecentEvent> recentSlotsDescriptor() {
        return new MapStateDescriptor<>(
                RECENT_SLOTS_STATE_NAME, IntSerializer.INSTANCE, RecentEventSerializer.INSTANCE);
    }

    /** {@code events} in the order they were written (by sequence number). */
    public static List<RecentEvent> inWriteOrder(Iterable<RecentEvent> events) {
        List<RecentEvent> all = new ArrayList<>();
        if (events != null) {
            events.forEach(all::add);
        }
        all.sort(Comparator.comparingLong(e -> e.seq));
        return all;
    }

    /** The descriptor of the dedupe map state of the 0.1 format. */
    public static MapStateDescriptor<String, Boolean> seenIdsDescriptor(DetectorOptions options) {
        MapStateDescriptor<String, Boolean> d =
                new MapStateDescriptor<>(SEEN_IDS_STATE_NAME, Types.STRING, Types.BOOLEAN);
        d.enableTimeToLive(ttl(options.dedupeTtl()));
        return d;
    }

    /** Reflex's TTL for keyed state: from the last write, expired values never returned. */
    public static StateTtlConfig ttl(java.time.Duration ttl) {
        return StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
    }
}
