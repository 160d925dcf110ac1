package io.reflex.operators.detect;

import io.reflex.operators.model.Event;
import io.reflex.operators.model.KeyedJson;
import io.reflex.operators.model.Trigger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator of the {@link Detector} in the job: Flink's keyed process operator, with the hooks
 * that the detector's statistics cache needs. It gives the detector its key context, for writing an
 * evicted key's statistics under that key, and flushes the cache into the keyed state before each
 * checkpoint barrier ({@link #prepareSnapshotPreBarrier}) and when the input ends, so that every
 * checkpoint and savepoint holds every change before it.
 *
 * <p>The detector on its own, in a plain {@link KeyedProcessOperator}, writes its state on every
 * event instead. Either way the state, its names and the operator's uid are the same, so a
 * savepoint of one restores into the other.
 *
 * <p>With the state changelog on, it sends each key's half of its state record (the rules'
 * statistics and the last trigger) on a side output, from a processing-time callback every {@code
 * sinks.state-interval}: once for each key that changed within the interval, so never more than
 * once per key per interval, and the latest change always within an interval.
 */
public final class DetectorOperator extends KeyedProcessOperator<String, Event, Trigger> {
    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(DetectorOperator.class);

    /** The changelog's side output, or null when off. */
    private final OutputTag<KeyedJson> changes;

    private final long changeIntervalMs;

    public DetectorOperator(Detector detector) {
        this(detector, null, Duration.ZERO);
    }

    /**
     * A detector that also sends each key's half of its state record to {@code changes}: every
     * {@code interval}, once for each key that changed in it.
     */
    public DetectorOperator(Detector detector, OutputTag<KeyedJson> changes, Duration interval) {
        super(detector);
        this.changes = changes;
        this.changeIntervalMs = Math.max(1, interval.toMillis());
    }

    private Detector detector() {
        return (Detector) userFunction;
    }

    /**
     * The keys changed but not yet sent to the changelog at a checkpoint: a restore sends them in
     * the next interval, as the run that failed would have. Union state, so that after a rescale
     * each subtask finds the keys it now owns.
     */
    private static final ListStateDescriptor<String> UNSENT =
            new ListStateDescriptor<>("state-changes-unsent", String.class);

    private transient ListState<String> unsent;
    private transient List<String> restoredUnsent;

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        if (changes != null) {
            unsent = context.getOperatorStateStore().getUnionListState(UNSENT);
            restoredUnsent = new ArrayList<>();
            if (context.isRestored()) {
                TaskInfo task = getRuntimeContext().getTaskInfo();
                int maxParallelism = task.getMaxNumberOfParallelSubtasks();
                KeyGroupRange mine =
                        KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(
                                maxParallelism,
                                task.getNumberOfParallelSubtasks(),
                                task.getIndexOfThisSubtask());
                for (String key : unsent.get()) {
                    if (mine.contains(
                            KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism))) {
                        restoredUnsent.add(key);
                    }
                }
            }
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (unsent != null) {
            unsent.update(new ArrayList<>(detector().changedKeys()));
        }
    }

    @Override
    public void open() throws Exception {
        detector().useKeyContext(this);
        if (changes != null) {
            detector().trackChanges();
            restoredUnsent.forEach(detector()::changed);
            restoredUnsent = null;
        }
        super.open();
        if (changes != null) {
            ProcessingTimeService time = getProcessingTimeService();
            time.registerTimer(
                    time.getCurrentProcessingTime() + changeIntervalMs, this::sendChanges);
        }
    }

    /** Sends the changes of the interval that ends now, and waits for the next. */
    private void sendChanges(long now) throws Exception {
        detector().sendChanges(now, this::send);
        getProcessingTimeService().registerTimer(now + changeIntervalMs, this::sendChanges);
    }

    private void send(String key, byte[] json) {
        output.collect(changes, new StreamRecord<>(new KeyedJson(key, json)));
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        long start = System.nanoTime();
        int written = detector().flush();
        if (LOG.isDebugEnabled()) {
            LOG.debug(
                    "{}: wrote {} keys' statistics before checkpoint {} in {} ms",
                    getOperatorName(),
                    written,
                    checkpointId,
                    (System.nanoTime() - start) / 1_000_000);
        }
    }

    @Override
    public void finish() throws Exception {
        detector().flush();
        if (changes != null) {
            detector()
                    .sendChanges(getProcessingTimeService().getCurrentProcessingTime(), this::send);
        }
        super.finish();
    }
}
