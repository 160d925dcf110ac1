package io.reflex.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.junit.jupiter.api.Test;

/** Tests for how a submission's job is found ({@link ClusterJobs}), and {@link FlinkRest}. */
class FlinkCliTest {

    private static JobStatusMessage job(JobID id, String name) {
        return new JobStatusMessage(id, name, JobStatus.RUNNING, 0);
    }

    @Test
    void theSubmittedJobIsTheOneTheClusterListsAnew() {
        JobID old = new JobID();
        JobID fresh = new JobID();
        assertThat(
                        ClusterJobs.submitted(
                                Set.of(old),
                                List.of(job(old, "reflex: a"), job(fresh, "reflex: a")),
                                "reflex: a"))
                .isEqualTo(fresh);
    }

    @Test
    void anotherSubmissionMeanwhileIsToldApartByName() {
        JobID ours = new JobID();
        JobID theirs = new JobID();
        assertThat(
                        ClusterJobs.submitted(
                                Set.of(),
                                List.of(job(theirs, "other"), job(ours, "reflex: a")),
                                "reflex: a"))
                .isEqualTo(ours);
    }

    @Test
    void failsWhenNoJobOrNoSingleJobIsNew() {
        JobID old = new JobID();
        assertThatThrownBy(
                        () ->
                                ClusterJobs.submitted(
                                        Set.of(old), List.of(job(old, "reflex: a")), "reflex: a"))
                .hasMessageContaining("the cluster lists no new job");
        assertThatThrownBy(
                        () ->
                                ClusterJobs.submitted(
                                        Set.of(),
                                        List.of(
                                                job(new JobID(), "reflex: a"),
                                                job(new JobID(), "reflex: a")),
                                        "reflex: a"))
                .hasMessageContaining("cannot tell which job the submission started");
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
