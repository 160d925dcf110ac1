package io.reflex.operators.journal;

import java.io.Serializable;

/** Creates a subtask's {@link AnswerJournal} when the agent opens. */
@FunctionalInterface
public interface JournalFactory extends Serializable {

    /** The journal of subtask {@code subtask} of job {@code job}. */
    AnswerJournal create(String job, int subtask) throws Exception;
}
