package io.reflex.jobs.config;

import java.util.List;

/** A job file that cannot run, with every problem found, each prefixed by its path. */
public final class JobFileException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public JobFileException(String file, List<String> problems) {
        super(
                file
                        + " has "
                        + problems.size()
                        + " problem(s):\n  - "
                        + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
