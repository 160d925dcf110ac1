package io.reflex.operators.journal;

/**
 * Where a restore starts reading one journal partition: recorded in each checkpoint (union list
 * state), so that a restore reads only what was written after it. A Flink POJO.
 */
public class JournalPosition {
    public int partition;
    public long offset;

    public JournalPosition() {}

    public JournalPosition(int partition, long offset) {
        this.partition = partition;
        this.offset = offset;
    }
}
