package io.reflex.operators.state;

import io.reflex.operators.detect.DetectorStates;
import io.reflex.operators.model.KeyedJson;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins the two halves of each key's state record, the detector's (first input) and the agent's
 * (second), and writes the whole record whenever either changes. It keeps the latest of each half
 * per key, with the detector's state TTL. It writes exactly as often as the halves arrive: the
 * detector sends a key's half at most once per {@code sinks.state-interval}, the agent one per
 * decision.
 */
public class StateChangelog
        extends KeyedCoProcessFunction<String, KeyedJson, KeyedJson, KeyedJson> {
    private static final long serialVersionUID = 1L;

    private final Duration ttl;

    private transient ValueState<StateView> view;
    private transient Counter written;

    /** Keeps each key's halves for {@code ttl} after their last change. */
    public StateChangelog(Duration ttl) {
        this.ttl = ttl;
    }

    /** The keyed state; its name and type are part of the savepoint format. */
    public static ValueStateDescriptor<StateView> descriptor(Duration ttl) {
        ValueStateDescriptor<StateView> d =
                new ValueStateDescriptor<>("state-view", StateView.class);
        d.enableTimeToLive(DetectorStates.ttl(ttl));
        return d;
    }

    @Override
    public void open(OpenContext openContext) {
        view = getRuntimeContext().getState(descriptor(ttl));
        written = getRuntimeContext().getMetricGroup().addGroup("reflex").counter("stateRecords");
    }

    @Override
    public void processElement1(KeyedJson detector, Context ctx, Collector<KeyedJson> out)
            throws Exception {
        StateView v = current();
        v.detector = detector.json();
        write(v, ctx, out);
    }

    @Override
    public void processElement2(KeyedJson decision, Context ctx, Collector<KeyedJson> out)
            throws Exception {
        StateView v = current();
        v.decision = decision.json();
        write(v, ctx, out);
    }

    private StateView current() throws Exception {
        StateView v = view.value();
        return v != null ? v : new StateView();
    }

    private void write(StateView v, Context ctx, Collector<KeyedJson> out) throws Exception {
        view.update(v);
        written.inc();
        String key = ctx.getCurrentKey();
        long now = ctx.timerService().currentProcessingTime();
        out.collect(new KeyedJson(key, StateJson.record(key, v.detector, v.decision, now)));
    }
}
