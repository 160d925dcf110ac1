package io.reflex.operators.journal;

import java.util.Collection;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Where one subtask of the agent keeps the answers it was given, outside its checkpoints, so that a
 * restore does not buy them again. Entries are spread over the journal's partitions by key group.
 * Implementations never block on {@link #append}: the write is asynchronous, retried by the
 * implementation, and a write that finally fails is counted, not thrown.
 */
public interface AnswerJournal extends AutoCloseable {

    /** The partition of key group {@code keyGroup}. */
    int partition(int keyGroup);

    /** Appends {@code entry} to {@code partition}, asynchronously. */
    void append(int partition, JournalEntry entry);

    /**
     * The offset from which a restore must read {@code partition} to see every entry appended after
     * now; at most its end offset now.
     */
    long position(int partition);

    /**
     * Reads {@code partitions} from the given offsets to their ends as of the call, handing each
     * entry to {@code into}. Partitions without an offset are read from their ends (nothing).
     * Returns the number of entries read.
     */
    long replay(Map<Integer, Long> from, Consumer<JournalEntry> into) throws Exception;

    /**
     * Reads every partition of the journal that {@code replay} serves from, from its beginning to
     * its end as of the call. Returns the number of entries read.
     */
    long readAll(Consumer<JournalEntry> into) throws Exception;

    /** The current end offsets of {@code partitions}: where a fresh subtask starts. */
    Map<Integer, Long> endOffsets(Collection<Integer> partitions) throws Exception;

    /** Entries acknowledged by the journal. */
    long writes();

    /** Entries that could not be written after the implementation's retries. */
    long writeFailures();
}
