package io.reflex.cli.cluster;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.client.JobStatusMessage;

/**
 * The cluster's jobs through Flink's {@link RestClusterClient}: job ids and savepoint paths come
 * back as typed answers of the REST API, not as text a command-line client printed.
 */
final class ClusterJobs implements AutoCloseable {
    /** How long a listing may take. */
    static final Duration LIST_TIMEOUT = Duration.ofSeconds(30);

    /** How long a savepoint may take: large state takes minutes to write. */
    static final Duration SAVEPOINT_TIMEOUT = Duration.ofMinutes(15);

    private final RestClusterClient<StandaloneClusterId> client;

    ClusterJobs(ClusterHome home) throws Exception {
        Configuration conf = GlobalConfiguration.loadConfiguration(home.confDir().toString());
        this.client = new RestClusterClient<>(conf, StandaloneClusterId.getInstance());
    }

    /** Every job the cluster knows, finished ones included. */
    Collection<JobStatusMessage> jobs() throws Exception {
        return client.listJobs().get(LIST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the job with a savepoint (into {@code dir}, or the cluster's default); its path. */
    String stopWithSavepoint(String jobId, String dir) throws Exception {
        return await(
                client.stopWithSavepoint(
                        JobID.fromHexString(jobId), false, dir, SavepointFormatType.DEFAULT),
                "stopping job " + jobId + " with a savepoint");
    }

    /** Triggers a savepoint of the running job (into {@code dir}, or the default); its path. */
    String savepoint(String jobId, String dir) throws Exception {
        return await(
                client.triggerSavepoint(
                        JobID.fromHexString(jobId), dir, SavepointFormatType.DEFAULT),
                "a savepoint of job " + jobId);
    }

    /**
     * The job a submission added: the one job in {@code after} that is not in {@code before}; when
     * others were submitted meanwhile, the one named {@code name}. Fails when that does not single
     * out one job.
     */
    static JobID submitted(Set<JobID> before, Collection<JobStatusMessage> after, String name) {
        List<JobStatusMessage> added =
                after.stream().filter(j -> !before.contains(j.getJobId())).toList();
        if (added.size() > 1) {
            added = added.stream().filter(j -> name.equals(j.getJobName())).toList();
        }
        if (added.size() != 1) {
            throw new IllegalStateException(
                    "cannot tell which job the submission started: "
                            + (added.isEmpty()
                                    ? "the cluster lists no new job"
                                    : added.stream()
                                            .map(j -> j.getJobId() + " (" + j.getJobName() + ")")
                                            .collect(Collectors.joining(", "))));
        }
        return added.get(0).getJobId();
    }

    private static String await(CompletableFuture<String> f, String what) throws Exception {
        try {
            return f.get(SAVEPOINT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new TimeoutException(
                    what + " did not finish within " + SAVEPOINT_TIMEOUT.toMinutes() + " minutes");
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
