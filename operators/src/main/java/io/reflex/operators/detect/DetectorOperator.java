package io.reflex.operators.detect;

import io.reflex.operators.model.Event;
import io.reflex.operators.model.Trigger;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
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
 */
public final class DetectorOperator extends KeyedProcessOperator<String, Event, Trigger> {
    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(DetectorOperator.class);

    public DetectorOperator(Detector detector) {
        super(detector);
    }

    private Detector detector() {
        return (Detector) userFunction;
    }

    @Override
    public void open() throws Exception {
        detector().useKeyContext(this);
        super.open();
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
        super.finish();
    }
}
