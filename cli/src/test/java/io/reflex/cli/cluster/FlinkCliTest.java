package io.reflex.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Tests for {@link FlinkCli}'s reading of what Flink's CLI prints, and {@link FlinkRest}. */
class FlinkCliTest {

    @Test
    void readsTheJobIdOfASubmission() throws Exception {
        String out = "Job has been submitted with JobID 0d8bf0c2fd847cc827b48632b88e9cc1\n";
        assertThat(FlinkCli.extract(new FlinkCli.Result(0, out), FlinkCli.JOB_ID, "submit"))
                .isEqualTo("0d8bf0c2fd847cc827b48632b88e9cc1");
    }

    @Test
    void readsTheSavepointPathOfStopAndOfSavepoint() throws Exception {
        String stop =
                "Suspending job \"0d8bf0c2fd847cc827b48632b88e9cc1\" with a CANONICAL savepoint.\n"
                        + "Savepoint completed. Path: file:/tmp/reflex/savepoints/savepoint-0d8bf0-9755ff82c105\n";
        assertThat(FlinkCli.extract(new FlinkCli.Result(0, stop), FlinkCli.SAVEPOINT_PATH, "stop"))
                .isEqualTo("file:/tmp/reflex/savepoints/savepoint-0d8bf0-9755ff82c105");
    }

    @Test
    void failsWithWhatTheCliPrintedWhenItFails() {
        String out = "org.apache.flink.util.FlinkException: Could not stop with a savepoint";
        assertThatThrownBy(
                        () ->
                                FlinkCli.extract(
                                        new FlinkCli.Result(1, out),
                                        FlinkCli.SAVEPOINT_PATH,
                                        "stop with a savepoint"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("exit 1")
                .hasMessageContaining("Could not stop with a savepoint");
    }

    @Test
    void aJobIsRunningOnlyWhenEveryTaskIs() throws Exception {
        ObjectMapper m = new ObjectMapper();
        String partly =
                "{\"state\":\"RUNNING\",\"vertices\":["
                        + "{\"parallelism\":2,\"tasks\":{\"RUNNING\":2}},"
                        + "{\"parallelism\":2,\"tasks\":{\"RUNNING\":1,\"INITIALIZING\":1}}]}";
        String fully =
                "{\"state\":\"RUNNING\",\"vertices\":["
                        + "{\"parallelism\":2,\"tasks\":{\"RUNNING\":2}}]}";
        String restarting =
                "{\"state\":\"RESTARTING\",\"vertices\":["
                        + "{\"parallelism\":2,\"tasks\":{\"RUNNING\":2}}]}";
        assertThat(FlinkRest.allTasksRunning(m.readTree(partly))).isFalse();
        assertThat(FlinkRest.allTasksRunning(m.readTree(fully))).isTrue();
        assertThat(FlinkRest.allTasksRunning(m.readTree(restarting))).isFalse();
        assertThat(FlinkRest.terminal("FAILED")).isTrue();
        assertThat(FlinkRest.terminal("RESTARTING")).isFalse();
    }
}
