package io.reflex.operators.decode;

import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Event;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Sends decoded events on and undecodable records to the dead-letter side output. */
public class DecodedSplitter extends ProcessFunction<Decoded, Event> {
    private static final long serialVersionUID = 1L;

    private final OutputTag<DeadLetter> deadLetters;
    private transient Counter eventsIn;
    private transient Counter bad;

    public DecodedSplitter(OutputTag<DeadLetter> deadLetters) {
        this.deadLetters = deadLetters;
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup group = getRuntimeContext().getMetricGroup().addGroup("reflex");
        eventsIn = group.counter("eventsIn");
        bad = group.counter("deadLetters");
    }

    @Override
    public void processElement(Decoded value, Context ctx, Collector<Event> out) {
        if (value.isEvent()) {
            eventsIn.inc();
            out.collect(value.event());
        } else {
            bad.inc();
            ctx.output(deadLetters, value.deadLetter());
        }
    }
}
