package io.reflex.operators.agent;

import io.reflex.operators.model.Action;
import io.reflex.operators.model.KeyedJson;
import io.reflex.operators.model.Trigger;
import org.apache.flink.util.OutputTag;
import org.apache.flink.util.function.ThrowingRunnable;

/**
 * What {@link AgentRequests} needs from {@link LlmAgentOperator}: the keyed state of the current
 * key, the clock, the mailbox, timers and the outputs. Every call is on the mailbox thread.
 */
interface AgentHost {
    /** Makes {@code key} the current key of the keyed state. */
    void setKey(Object key);

    Object key();

    /** The current key's pending work, or null. */
    AgentKeyState pending() throws Exception;

    void pending(AgentKeyState s) throws Exception;

    void clearPending();

    /** The current key's memory, or null. */
    AgentMemory memory() throws Exception;

    void memory(AgentMemory m) throws Exception;

    /** The current key's tokens today, for its budget; or null. */
    KeyTokens tokens() throws Exception;

    void tokens(KeyTokens t) throws Exception;

    /** Processing time. */
    long now();

    /** Runs {@code r} on the mailbox thread; throws RejectedExecutionException when closing. */
    void onMailbox(ThrowingRunnable<? extends Exception> r, String description);

    /** Runs {@code r} on the mailbox thread at processing time {@code time}. */
    void timer(long time, ThrowingRunnable<? extends Exception> r);

    void emit(Action a, long timestamp);

    void deadLetter(Trigger t, String reason);

    /** Emits {@code record} on the side output {@code tag}. */
    void output(OutputTag<KeyedJson> tag, KeyedJson record, long timestamp);

    /** Emits the watermark if the hold lets it advance. */
    void advanceWatermark();
}
