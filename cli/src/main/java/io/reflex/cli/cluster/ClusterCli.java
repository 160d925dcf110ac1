package io.reflex.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.cli.ReflexCli;
import io.reflex.jobs.ReflexJob;
import io.reflex.jobs.cli.Cli;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.kafka.KafkaPreflight;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.client.JobStatusMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The cluster commands behind {@code bin/reflex}:
 *
 * <ul>
 *   <li>{@code cluster start|stop|status [--taskmanagers N]}: a standalone session cluster on
 *       127.0.0.1 with {@code flink-conf/}.
 *   <li>{@code submit JOBFILE [--parallelism N] [--jar JAR]}: the job jar and job file through
 *       Flink's CLI ({@code run -d}); prints the job id and waits until every task runs.
 *   <li>{@code upgrade JOBID JOBFILE [--jar NEW] [--parallelism N] [--dir DIR]}: stop with a
 *       savepoint, then submit from it; prints the savepoint and the new job id.
 *   <li>{@code savepoint JOBID [--dir DIR]}: triggers a savepoint and prints its path.
 * </ul>
 *
 * The job file is checked here first, so a bad file is refused with every problem before anything
 * reaches the cluster. Exit codes as in {@link Cli}: 0 done, 1 the operation failed, 2 bad
 * arguments or job file.
 */
@Command(
        name = "reflex",
        mixinStandardHelpOptions = true,
        versionProvider = Cli.Version.class,
        scope = ScopeType.INHERIT,
        subcommands = {
            ClusterCli.ClusterCommand.class,
            ClusterCli.Submit.class,
            ClusterCli.Upgrade.class,
            ClusterCli.Savepoint.class
        },
        description = "Runs Reflex on a Flink session cluster.")
public final class ClusterCli implements Callable<Integer> {
    private static final PrintStream OUT =
            new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(120);

    @Spec CommandSpec spec;

    public static void main(String[] args) {
        System.exit(Cli.execute(new ClusterCli(), args));
    }

    @Override
    public Integer call() {
        throw new ParameterException(
                spec.commandLine(), "missing command (cluster, submit, upgrade or savepoint)");
    }

    @Command(
            name = "cluster",
            description =
                    "A standalone Flink session cluster on 127.0.0.1 with flink-conf/ (or"
                            + " $FLINK_CONF_DIR): one JobManager and N TaskManagers; pids and logs"
                            + " in .reflex/cluster/.")
    static final class ClusterCommand implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "start|stop|status", description = "what to do")
        String action;

        @Option(
                names = "--taskmanagers",
                paramLabel = "N",
                defaultValue = "1",
                description = "TaskManagers to start (default: ${DEFAULT-VALUE})")
        int taskManagers;

        @Override
        public Integer call() throws Exception {
            StandaloneCluster cluster =
                    new StandaloneCluster(ClusterHome.fromEnvironment(System.getenv()), OUT);
            switch (action) {
                case "start":
                    if (taskManagers < 1) {
                        throw new ParameterException(
                                spec.commandLine(), "--taskmanagers must be at least 1");
                    }
                    return cluster.start(taskManagers, START_TIMEOUT) ? Cli.OK : Cli.FAILED;
                case "stop":
                    cluster.stop();
                    return Cli.OK;
                case "status":
                    return cluster.status() ? Cli.OK : Cli.FAILED;
                default:
                    throw new ParameterException(
                            spec.commandLine(), "cluster takes start, stop or status");
            }
        }
    }

    @Command(
            name = "submit",
            description =
                    "Submits the job jar with JOBFILE to the cluster through Flink's CLI; prints"
                            + " the job id and waits until every task runs.")
    static final class Submit implements Callable<Integer> {
        @Parameters(paramLabel = "JOBFILE", description = "the job file")
        Path jobFile;

        @Mixin SubmitOptions submit;

        @Override
        public Integer call() throws Exception {
            JobFile job = valid(jobFile);
            ClusterHome home = readyCluster();
            long t0 = System.nanoTime();
            String jobId;
            try (ClusterJobs jobs = new ClusterJobs(home)) {
                jobId = submit(jobs, home, job, jobFile, submit, null);
            }
            OUT.println("job id: " + jobId);
            return awaitRunning(home, jobId, t0);
        }
    }

    @Command(
            name = "upgrade",
            description =
                    "Stops the job with a savepoint and resubmits from it; prints the savepoint"
                            + " and the new job id.")
    static final class Upgrade implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "JOBID", description = "the running job")
        String jobId;

        @Parameters(index = "1", paramLabel = "JOBFILE", description = "the job file to resubmit")
        Path jobFile;

        @Mixin SubmitOptions submit;

        @Mixin SavepointDir savepointDir;

        @Override
        public Integer call() throws Exception {
            JobFile job = valid(jobFile);
            ClusterHome home = readyCluster();
            long t0 = System.nanoTime();
            long t1;
            String newJob;
            try (ClusterJobs jobs = new ClusterJobs(home)) {
                String savepoint = jobs.stopWithSavepoint(jobId, savepointDir.dir);
                OUT.printf(
                        "savepoint: %s (job %s stopped in %.1f s)%n", savepoint, jobId, secs(t0));
                t1 = System.nanoTime();
                newJob = submit(jobs, home, job, jobFile, submit, savepoint);
            }
            OUT.println("job id: " + newJob);
            return awaitRunning(home, newJob, t1);
        }
    }

    @Command(
            name = "savepoint",
            description =
                    "Triggers a savepoint of a running job and prints its path. (`savepoint"
                            + " inspect PATH` prints a savepoint's per-key state.)")
    static final class Savepoint implements Callable<Integer> {
        @Parameters(paramLabel = "JOBID", description = "the running job")
        String jobId;

        @Mixin SavepointDir savepointDir;

        @Override
        public Integer call() throws Exception {
            try (ClusterJobs jobs = new ClusterJobs(readyCluster())) {
                OUT.println("savepoint: " + jobs.savepoint(jobId, savepointDir.dir));
            }
            return Cli.OK;
        }
    }

    /** What {@code submit} and {@code upgrade} submit. */
    static final class SubmitOptions {
        @Option(names = "--parallelism", paramLabel = "N", description = "overrides the job file's")
        int parallelism;

        @Option(
                names = "--jar",
                paramLabel = "JAR",
                description = "the job jar (default: jobs/target/reflex-jobs-*-job.jar)")
        Path jar;
    }

    /** Where {@code upgrade} and {@code savepoint} write the savepoint. */
    static final class SavepointDir {
        @Option(
                names = "--dir",
                paramLabel = "DIR",
                description =
                        "where the savepoint goes (default: the cluster's savepoint directory)")
        String dir;
    }

    /** The cluster home, once a cluster answers there. */
    private static ClusterHome readyCluster() {
        ClusterHome home = ClusterHome.fromEnvironment(System.getenv());
        if (new FlinkRest(home.restUrl()).get("/overview").isEmpty()) {
            System.err.println(
                    "reflex: no Flink cluster answers at "
                            + home.restUrl()
                            + " (start one with bin/reflex cluster start, or set FLINK_CONF_DIR"
                            + " to the configuration of yours)");
            throw new Cli.Exit(Cli.FAILED);
        }
        return home;
    }

    /**
     * Submits the job jar with the job file through Flink's client, and returns the id of the job
     * it started, as the cluster lists it.
     */
    private static String submit(
            ClusterJobs jobs,
            ClusterHome home,
            JobFile job,
            Path jobFile,
            SubmitOptions options,
            String savepoint)
            throws Exception {
        Set<JobID> before =
                jobs.jobs().stream().map(JobStatusMessage::getJobId).collect(Collectors.toSet());
        new FlinkCli(home, System.getenv())
                .run(
                        options.jar == null ? home.jobJar() : options.jar,
                        jobFile,
                        options.parallelism,
                        savepoint);
        return ClusterJobs.submitted(before, jobs.jobs(), ReflexJob.jobName(job)).toHexString();
    }

    private static int awaitRunning(ClusterHome home, String jobId, long t0) {
        FlinkRest rest = new FlinkRest(home.restUrl());
        Optional<JsonNode> job =
                rest.await(
                        "/jobs/" + jobId,
                        j ->
                                FlinkRest.allTasksRunning(j)
                                        || FlinkRest.terminal(j.path("state").asText()),
                        RUNNING_TIMEOUT);
        if (job.isPresent() && FlinkRest.allTasksRunning(job.get())) {
            OUT.printf("job %s running: every task up %.1f s after submit%n", jobId, secs(t0));
            return Cli.OK;
        }
        OUT.println(
                "job "
                        + jobId
                        + " is not running: "
                        + job.map(j -> j.path("state").asText())
                                .orElseGet(
                                        () ->
                                                "still "
                                                        + rest.get("/jobs/" + jobId)
                                                                .map(j -> j.path("state").asText())
                                                                .orElse("unknown")
                                                        + " after "
                                                        + RUNNING_TIMEOUT.toSeconds()
                                                        + " s")
                        + "; see "
                        + rest.baseUrl()
                        + "/#/job/running/"
                        + jobId
                        + " and the logs in "
                        + home.logDir());
        return Cli.FAILED;
    }

    /**
     * The job file, checked with the environment the job will see, and its Kafka topics (the
     * preflight); with a problem, every one is printed and the command ends with exit code 2,
     * before anything reaches the cluster.
     */
    private static JobFile valid(Path jobFile) {
        JobFile job = Cli.jobFile(jobFile, System.getenv());
        List<String> problems = KafkaPreflight.problems(job, ReflexCli.PREFLIGHT_TIMEOUT);
        if (!problems.isEmpty()) {
            System.err.println(ReflexCli.preflightFailure(jobFile, problems));
            throw new Cli.Exit(Cli.USAGE);
        }
        return job;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
