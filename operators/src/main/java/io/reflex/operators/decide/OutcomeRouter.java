package io.reflex.operators.decide;

import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Routes outcomes: actions to the main output, failures to the dead-letter side output with the
 * error and the trigger, and counts explicit no-action decisions.
 */
public class OutcomeRouter extends ProcessFunction<LlmOutcome, Action> {
    private static final long serialVersionUID = 1L;

    private final OutputTag<DeadLetter> deadLetters;

    private transient Counter actions;
    private transient Counter noAction;
    private transient Counter failed;

    public OutcomeRouter(OutputTag<DeadLetter> deadLetters) {
        this.deadLetters = deadLetters;
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup group = getRuntimeContext().getMetricGroup().addGroup("reflex");
        actions = group.counter("actions");
        noAction = group.counter("noActionDecisions");
        failed = group.counter("deadLetters");
    }

    @Override
    public void processElement(LlmOutcome outcome, Context ctx, Collector<Action> out)
            throws Exception {
        switch (outcome.status()) {
            case LlmOutcome.ACTIONS:
                for (Action a : outcome.actions()) {
                    actions.inc();
                    out.collect(a);
                }
                break;
            case LlmOutcome.NO_ACTION:
                noAction.inc();
                break;
            default:
                failed.inc();
                ctx.output(
                        deadLetters,
                        DeadLetter.ofTrigger(
                                "after " + outcome.attempts() + " attempt(s): " + outcome.error(),
                                outcome.trigger()));
        }
    }
}
