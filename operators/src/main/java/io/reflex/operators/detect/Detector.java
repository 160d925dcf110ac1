package io.reflex.operators.detect;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.model.Event;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyContext;
import org.apache.flink.util.Collector;

/**
 * The keyed detection step. Per key it keeps one {@link KeyStats}: each rule's statistics, the ids
 * of the latest events to drop replays, and the newest {@code context-events} events for a
 * trigger's context. Run by a {@link DetectorOperator}, the values of the keys seen since the last
 * checkpoint are cached on the heap ({@link StatsCache}, {@code detector.cache-bytes} per subtask),
 * written back once a key has been unchanged for {@code detector.cache-write-delay}, and before
 * each checkpoint barrier: a key's events then cost at most one state read and one write per
 * checkpoint interval. Run on its own, it reads and writes the value once per event. It emits a
 * {@link Trigger} with a compact context when a rule fires and is not cooling down. {@code absence}
 * rules use event-time timers. All state has a TTL.
 *
 * <p>State of the earlier formats is moved into a {@code KeyStats} on the key's first event or
 * timer after an upgrade, and cleared: the 0.1 format's ({@link DetectorState} and a map state of
 * event ids), and the recent events that were kept beside the value (a list state, then a ring of
 * map-state slots).
 *
 * <p>Every event is counted: it updates state ({@code events}), is a replayed duplicate ({@code
 * duplicates}), or also fires ({@code triggers}).
 */
public class Detector extends KeyedProcessFunction<String, Event, Trigger> {
    private static final long serialVersionUID = 1L;

    private final DetectorOptions options;

    private transient JsonPointer[] fieldPointers;

    /** For each rule, the index of its field in {@link DetectorOptions#fields()}, or -1. */
    private transient int[] fieldOf;

    private transient ValueState<KeyStats> stats;
    private transient LegacyStates legacy;
    private transient Counter events;
    private transient Counter duplicates;
    private transient Counter triggers;
    private transient Counter cooledDown;

    /** The operator's key context, for writing back an evicted key; null when run on its own. */
    private transient KeyContext keys;

    /** The statistics of the keys seen since the last checkpoint; null when not cached. */
    private transient StatsCache cache;

    private transient long writeDelayMs;

    /**
     * The keys whose statistics changed since their state was last sent to the changelog; null when
     * the changelog is off. At most one entry per key.
     */
    private transient java.util.LinkedHashSet<String> changed;

    /**
     * Write-backs per event at most, of changes older than the write delay: more than the one
     * change an event makes, so that the backlog drains.
     */
    private static final int WRITE_BEHIND_PER_EVENT = 2;

    public Detector(DetectorOptions options) {
        this.options = options;
    }

    /**
     * Called by {@link DetectorOperator} before {@link #open}: with a key context the statistics
     * can be cached and written back under their own key.
     */
    void useKeyContext(KeyContext keys) {
        this.keys = keys;
    }

    @Override
    public void open(OpenContext openContext) {
        List<String> fields = options.fields();
        fieldPointers = Event.pointers(fields);
        fieldOf = new int[options.rules().size()];
        for (int i = 0; i < fieldOf.length; i++) {
            String field = options.rules().get(i).field();
            fieldOf[i] = field == null ? -1 : fields.indexOf(field);
        }
        stats = getRuntimeContext().getState(DetectorStates.statsDescriptor(options));
        legacy = new LegacyStates(getRuntimeContext(), options, this::remember);
        var group = getRuntimeContext().getMetricGroup().addGroup("reflex");
        events = group.counter("events");
        duplicates = group.counter("duplicates");
        triggers = group.counter("triggers");
        cooledDown = group.counter("cooledDown");
        if (keys != null && options.cacheBytes() > 0) {
            cache =
                    new StatsCache(
                            options.cacheBytes(), options.stateTtl().toMillis(), this::write);
            writeDelayMs = options.cacheWriteDelay().toMillis();
            group.gauge("statsCacheKeys", () -> cache.size());
            group.gauge("statsCacheBytes", () -> cache.bytes());
            group.gauge("statsCachePeakBytes", () -> cache.peakBytes());
            group.gauge("statsCacheWriteBacks", () -> cache.writeBacks());
        }
    }

    /** Called by {@link DetectorOperator} to track the keys that change, for the changelog. */
    void trackChanges() {
        changed = new java.util.LinkedHashSet<>();
    }

    /** Keys changed since the last {@link #sendChanges}, oldest change first. */
    java.util.Collection<String> changedKeys() {
        return changed == null ? List.of() : changed;
    }

    /** Marks {@code key} changed: a key restored as changed but not yet sent. */
    void changed(String key) {
        changed.add(key);
    }

    /**
     * Sends each key changed since the last call, once, with its half of the state record ({@link
     * io.reflex.operators.state.StateJson}), to {@code out}; needs the key context. Returns how
     * many it sent.
     */
    int sendChanges(long now, java.util.function.BiConsumer<String, byte[]> out) throws Exception {
        if (changed == null || changed.isEmpty()) {
            return 0;
        }
        Object current = keys.getCurrentKey();
        int sent = 0;
        java.util.LinkedHashSet<String> keysChanged = changed;
        changed = new java.util.LinkedHashSet<>();
        for (String key : keysChanged) {
            keys.setCurrentKey(key);
            KeyStats s = cache == null ? null : cache.get(key, now);
            if (s == null) {
                s = stats.value();
            }
            if (s != null) {
                s.changeUnsent = false;
                out.accept(key, stateJson(s));
                sent++;
            }
        }
        if (current != null) {
            keys.setCurrentKey(current);
        }
        return sent;
    }

    /** The detector's half of a key's state record. */
    private byte[] stateJson(KeyStats s) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("events_seen", s.eventsSeen);
        if (s.lastEventTime != Long.MIN_VALUE) {
            n.put("last_event_time", s.lastEventTime);
        }
        if (s.lastEventId != null) {
            n.put("last_event_id", s.lastEventId);
        }
        ObjectNode rules = n.putObject("rules");
        ruleStats(rules, s, true);
        RuleSpec lastRule = null;
        long lastFired = Long.MIN_VALUE;
        for (RuleSpec rule : options.rules()) {
            RuleStats st = s.ruleOrNull(rule.id());
            if (st != null && st.lastFired > lastFired) {
                lastFired = st.lastFired;
                lastRule = rule;
            }
        }
        if (lastRule != null) {
            ObjectNode t = n.putObject("last_trigger");
            t.put("rule", lastRule.id());
            t.put("event_time", lastFired);
        }
        return Json.bytes(n);
    }

    /** Each rule's statistics for {@code s}; with when it last fired for the changelog. */
    private void ruleStats(ObjectNode into, KeyStats s, boolean lastFired) {
        for (RuleSpec other : options.rules()) {
            RuleStats st = s.ruleOrNull(other.id());
            if (st == null) {
                continue;
            }
            ObjectNode o = into.putObject(other.id());
            o.put("count", st.count);
            if (other.type() == RuleType.ZSCORE) {
                o.put("mean", st.mean);
                o.put("stddev", Math.sqrt(st.variance));
            }
            if (other.type() == RuleType.ZSCORE || other.type() == RuleType.CHANGE_PCT) {
                o.put("last", st.last);
            }
            if (lastFired && st.lastFired != Long.MIN_VALUE) {
                o.put("last_fired", st.lastFired);
            }
        }
    }

    /** The statistics cache, or null when not cached: for tests. */
    StatsCache statsCache() {
        return cache;
    }

    /** Writes {@code s} as the statistics of {@code key}, which need not be the current key. */
    private void write(String key, KeyStats s) throws Exception {
        Object current = keys.getCurrentKey();
        keys.setCurrentKey(key);
        stats.update(s);
        if (current != null) {
            keys.setCurrentKey(current);
        }
    }

    /**
     * Writes every cached change to the keyed state: before a checkpoint barrier, and at the end.
     * Returns how many keys it wrote.
     */
    int flush() throws Exception {
        return cache == null ? 0 : cache.flush(System.currentTimeMillis());
    }

    /**
     * Keeps {@code s} as the current key's statistics, changed at {@code now} (epoch milliseconds):
     * in the cache, or in the state.
     */
    private void store(String key, KeyStats s, long now) throws Exception {
        if (changed != null && !s.changeUnsent) {
            s.changeUnsent = true;
            changed.add(key);
        }
        if (cache != null) {
            cache.changed(key, s, now);
            cache.writeBehind(now, writeDelayMs, WRITE_BEHIND_PER_EVENT);
        } else {
            stats.update(s);
        }
    }

    @Override
    public void processElement(Event event, Context ctx, Collector<Trigger> out) throws Exception {
        String key = ctx.getCurrentKey();
        long nowMs = System.currentTimeMillis();
        KeyStats s = load(key, nowMs);
        int now = (int) (nowMs / 1000);
        int notBefore = (int) Math.max(Integer.MIN_VALUE, now - options.dedupeTtl().toSeconds());
        if (s.seenBefore(KeyStats.idHash(event.id()), now, notBefore, options.dedupeWindow())) {
            duplicates.inc();
            return;
        }
        events.inc();
        remember(s, event);
        double[] numbers = event.numbers();
        String[] texts = event.texts();
        if (!event.hasValues(fieldPointers.length)) {
            // Decoded without the rules' fields (an older decoder, a test): read them here.
            numbers = new double[fieldPointers.length];
            texts = new String[fieldPointers.length];
            Event.fieldValues(parse(event.payload()), fieldPointers, numbers, texts);
        }

        List<RuleSpec> rules = options.rules();
        for (int i = 0; i < rules.size(); i++) {
            RuleSpec rule = rules.get(i);
            if (rule.type() == RuleType.ABSENCE || !rule.appliesTo(event.source())) {
                continue;
            }
            RuleStats rs = s.rule(rule.id());
            int f = fieldOf[i];
            ObjectNode fired =
                    RuleEvaluator.evaluate(
                            rule,
                            rs,
                            event.eventTime(),
                            f < 0 ? Double.NaN : numbers[f],
                            f < 0 ? null : texts[f],
                            options.maxSamples());
            if (fired != null) {
                fire(
                        ctx.getCurrentKey(),
                        rule,
                        rs,
                        s,
                        event.eventTime(),
                        List.of(event.id()),
                        fired,
                        out);
            }
        }

        if (event.eventTime() >= s.lastEventTime) {
            s.lastEventTime = event.eventTime();
            s.lastEventId = event.id();
            rearmAbsence(s, event, ctx);
        }
        s.eventsSeen++;
        store(key, s, nowMs);
    }

    /**
     * The current key's statistics: cached, or read from the state. A key without them may have
     * state of the 0.1 format, and one read in an earlier format has its recent events beside it:
     * move them in once, clear what they were in, and keep the result at once, whatever the event
     * turns out to be. That costs more lookups on such a key's first event only.
     */
    private KeyStats load(String key, long now) throws Exception {
        KeyStats s = cache == null ? null : cache.get(key, now);
        if (s != null) {
            return s;
        }
        s = stats.value();
        if (s != null && s.recentIn == KeyStats.RecentIn.VALUE) {
            if (cache != null) {
                cache.admit(key, s, now);
            }
            return s;
        }
        if (s == null) {
            s = legacy.fromLegacyState();
            if (s == null) {
                return new KeyStats();
            }
        } else {
            legacy.moveRecentEvents(s, null);
        }
        store(key, s, now);
        return s;
    }

    private void rearmAbsence(KeyStats s, Event event, Context ctx) {
        long next = Long.MAX_VALUE;
        for (RuleSpec rule : options.rules()) {
            if (rule.type() == RuleType.ABSENCE && rule.appliesTo(event.source())) {
                next = Math.min(next, event.eventTime() + rule.afterMs());
            }
        }
        if (next == Long.MAX_VALUE) {
            return;
        }
        if (s.absenceTimer != Long.MIN_VALUE && s.absenceTimer != next) {
            ctx.timerService().deleteEventTimeTimer(s.absenceTimer);
        }
        s.absenceTimer = next;
        ctx.timerService().registerEventTimeTimer(next);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Trigger> out)
            throws Exception {
        String key = ctx.getCurrentKey();
        long now = System.currentTimeMillis();
        KeyStats s = load(key, now); // also moves over state of the older formats
        if (s.absenceTimer != timestamp) {
            return; // state expired, or a timer superseded by a newer event
        }
        s.absenceTimer = Long.MIN_VALUE;
        for (RuleSpec rule : options.rules()) {
            if (rule.type() != RuleType.ABSENCE || s.lastEventTime + rule.afterMs() > timestamp) {
                continue;
            }
            RuleStats rs = s.rule(rule.id());
            rs.count++;
            ObjectNode fired = Json.MAPPER.createObjectNode();
            fired.put("silent_ms", timestamp - s.lastEventTime);
            fired.put("last_event_time", s.lastEventTime);
            List<String> ids = s.lastEventId == null ? List.of() : List.of(s.lastEventId);
            fire(key, rule, rs, s, timestamp, ids, fired, out);
        }
        store(key, s, now);
    }

    private void fire(
            String key,
            RuleSpec rule,
            RuleStats rs,
            KeyStats s,
            long eventTime,
            List<String> eventIds,
            ObjectNode details,
            Collector<Trigger> out)
            throws Exception {
        if (rs.lastFired != Long.MIN_VALUE && eventTime - rs.lastFired < rule.cooldownMs()) {
            cooledDown.inc();
            return;
        }
        rs.lastFired = eventTime;
        triggers.inc();
        out.collect(new Trigger(rule.id(), key, eventTime, eventIds, context(rule, details, s)));
    }

    private String context(RuleSpec rule, ObjectNode details, KeyStats s) throws Exception {
        ObjectNode ctx = Json.MAPPER.createObjectNode();
        ObjectNode r = ctx.putObject("rule");
        r.put("id", rule.id());
        r.put("type", rule.type().id());
        if (rule.field() != null) {
            r.put("field", rule.field());
        }
        r.setAll(details);
        ArrayNode events = ctx.putArray("recent_events");
        List<RecentEvent> recentEvents = s.recentEvents();
        int from = Math.max(0, recentEvents.size() - options.contextEvents());
        for (RecentEvent e : recentEvents.subList(from, recentEvents.size())) {
            ObjectNode n = events.addObject();
            n.put("id", e.id);
            n.put("time", e.eventTime);
            n.put("source", e.source);
            JsonNode data = parseOrNull(e.payload);
            if (data != null) {
                n.set("data", data);
            } else {
                n.put("data_truncated", e.payload);
            }
        }
        ruleStats(ctx.putObject("stats"), s, false);
        return Json.MAPPER.writeValueAsString(ctx);
    }

    private void remember(KeyStats s, Event event) {
        String payload = event.payload();
        if (payload.length() > options.contextEventMaxChars()) {
            payload = payload.substring(0, options.contextEventMaxChars());
        }
        remember(s, event.id(), event.eventTime(), event.source(), payload);
    }

    /** Keeps the event as the key's newest recent event, encoded once here. */
    private void remember(KeyStats s, String id, long eventTime, String source, String payload) {
        s.remember(
                RecentEvent.encode(id, eventTime, source, payload),
                Math.max(1, options.contextEvents()));
    }

    private static JsonNode parse(String payload) throws JsonProcessingException {
        return Json.MAPPER.readTree(payload);
    }

    private static JsonNode parseOrNull(String payload) {
        try {
            return Json.MAPPER.readTree(payload);
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
