package io.reflex.sandbox;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The one way tests and tools wait for something to become true: poll a condition every {@code 20
 * ms} until it holds, or fail after the timeout with a message that names what was awaited. A wait
 * that runs out is a failure, never a silent pass. Never use it on a Flink task or mailbox thread.
 */
public final class Await {
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private Await() {}

    /** A condition, which may do a step of work (a fetch, a read) each time it is asked. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /**
     * Returns once {@code condition} holds; throws {@link AssertionError} "timed out after T
     * waiting for WHAT" if it does not within {@code timeout}.
     */
    public static void until(String what, Duration timeout, Condition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(
                        "timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }
}
