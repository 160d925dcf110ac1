package io.reflex.jobs;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.jobs.config.JobFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link ReflexJob#main}: it may run inside a JobManager (application mode), so bad input
 * throws a typed exception instead of exiting the JVM.
 */
class ReflexJobMainTest {

    @Test
    void throwsJobFileExceptionWithoutAJobFile() {
        assertThatThrownBy(() -> ReflexJob.main(new String[0]))
                .isInstanceOf(JobFileException.class)
                .hasMessageContaining("usage: ReflexJob JOBFILE");
    }

    @Test
    void throwsJobFileExceptionForABadJobFileOrParallelism(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "job: {name: j}\n");
        assertThatThrownBy(() -> ReflexJob.main(new String[] {file.toString()}))
                .isInstanceOf(JobFileException.class)
                .hasMessageContaining("sinks: required");
        assertThatThrownBy(
                        () ->
                                ReflexJob.main(
                                        new String[] {file.toString(), "--parallelism", "two"}))
                .isInstanceOf(JobFileException.class);
    }

    @Test
    void refusesUnknownOptionsAndTwoJobFiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("job.yaml");
        Files.writeString(file, "job: {name: j}\n");
        assertThatThrownBy(
                        () -> ReflexJob.main(new String[] {file.toString(), "--paralelism", "2"}))
                .isInstanceOf(JobFileException.class)
                .hasMessageContaining("'--paralelism'");
        assertThatThrownBy(
                        () ->
                                ReflexJob.main(
                                        new String[] {
                                            file.toString(), "--job-file", file.toString()
                                        }))
                .isInstanceOf(JobFileException.class)
                .hasMessageContaining("one job file is needed");
        assertThatThrownBy(() -> ReflexJob.main(new String[] {file.toString(), "--parallelism"}))
                .isInstanceOf(JobFileException.class)
                .hasMessageContaining("--parallelism");
    }
}
