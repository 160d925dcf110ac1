package io.reflex.cli;

import io.reflex.jobs.ReflexJob;
import io.reflex.jobs.cli.Cli;
import io.reflex.jobs.config.JobFile;
import io.reflex.operators.agent.AgentOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

/**
 * Runs a job file on a local MiniCluster with Flink's web UI, prints committed actions and a status
 * line every few seconds, and stops cleanly: with a savepoint, so that every processed action is
 * committed to the actions topic and no transaction is left open. Used by {@code reflex run} and
 * {@code reflex demo}.
 */
final class LocalRunner {
    private static final Duration STATUS_EVERY = Duration.ofSeconds(5);
    private static final Duration STOP_RETRY_EVERY = Duration.ofSeconds(1);

    /** How long {@code reflex run} and {@code demo} keep trying to take the final savepoint. */
    static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(60);

    private final List<JobFile> jobs;
    private final Path stateDir;
    private final PrintStream out;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Duration stopTimeout;

    LocalRunner(JobFile job, Path stateDir, PrintStream out) {
        this(job, stateDir, out, DEFAULT_STOP_TIMEOUT);
    }

    LocalRunner(JobFile job, Path stateDir, PrintStream out, Duration stopTimeout) {
        this(List.of(job), stateDir, out, stopTimeout);
    }

    /**
     * Runs {@code jobs} side by side on one MiniCluster (for a chain of agents), with one slot per
     * subtask of each.
     */
    /** Job name → the savepoint to start it from (a resumed demo); empty for a fresh start. */
    private final Map<String, String> restoreFrom = new HashMap<>();

    /** Job name → the savepoint its final stop took, once {@link #run} returns. */
    private final Map<String, String> savepoints = new java.util.LinkedHashMap<>();

    LocalRunner(List<JobFile> jobs, Path stateDir, PrintStream out, Duration stopTimeout) {
        this.jobs = List.copyOf(jobs);
        this.stateDir = stateDir;
        this.out = out;
        this.stopTimeout = stopTimeout;
    }

    /** Starts each job named in {@code savepoints} from its savepoint (job name → path). */
    LocalRunner restoreFrom(Map<String, String> savepoints) {
        restoreFrom.putAll(savepoints);
        return this;
    }

    /** The savepoints the final stop took, by job name; empty until {@link #run} returns. */
    Map<String, String> savepoints() {
        return Map.copyOf(savepoints);
    }

    /** Asks a running {@link #run} to stop cleanly, and waits until it has, at most a minute. */
    void stopAndWait() throws InterruptedException {
        stopRequested.countDown();
        stopped.await(60, TimeUnit.SECONDS);
    }

    /**
     * Runs until {@code duration} has passed (forever if null), {@link #stopAndWait} is called, or
     * the job ends by itself. Returns the process exit code.
     *
     * @param feedEvents how many input events were produced, for the status line, or null
     */
    int run(Duration duration, LongSupplier feedEvents) throws Exception {
        Files.createDirectories(stateDir);
        StatusReporter.reset();
        Configuration conf = ReflexJob.configuration(jobs.get(0));
        conf.setString("rest.address", "127.0.0.1");
        conf.setString("rest.bind-address", "127.0.0.1");
        conf.setString("rest.bind-port", "8081-8099");
        conf.setString("jobmanager.bind-host", "127.0.0.1");
        conf.setString("taskmanager.bind-host", "127.0.0.1");
        conf.setString("taskmanager.host", "127.0.0.1");
        conf.setString(
                "execution.checkpointing.dir", stateDir.resolve("checkpoints").toUri().toString());
        // A job that cannot be stopped with a savepoint is cancelled; keep its checkpoints.
        conf.setString(
                "execution.checkpointing.externalized-checkpoint-retention",
                "RETAIN_ON_CANCELLATION");
        conf.setString(
                "execution.checkpointing.savepoint-dir",
                stateDir.resolve("savepoints").toUri().toString());
        conf.setString(
                "metrics.reporter.reflexstatus.factory.class",
                StatusReporterFactory.class.getName());
        int slots = 0;
        for (JobFile job : jobs) {
            slots += parallelism(job);
        }
        conf.setString("taskmanager.numberOfTaskSlots", Integer.toString(slots));

        MiniCluster cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(slots)
                                .build());
        int exit = 0;
        long startedAtMs = System.currentTimeMillis();
        List<String> topics = new ArrayList<>();
        Map<String, AgentOptions> prices = new HashMap<>();
        for (JobFile job : jobs) {
            for (String t : job.sinks().actionTopics()) {
                if (!topics.contains(t)) {
                    topics.add(t);
                    prices.put(t, job.agent());
                }
            }
        }
        try (ActionTail tail =
                new ActionTail(
                        jobs.get(0).sinks().bootstrapServers(),
                        jobs.get(0).sinks().properties(),
                        topics,
                        prices,
                        out)) {
            cluster.start();
            URI ui = cluster.getRestAddress().get();
            List<JobID> ids = new ArrayList<>();
            for (JobFile job : jobs) {
                Configuration jobConf = new Configuration(conf);
                jobConf.addAll(ReflexJob.configuration(job));
                jobConf.setString("parallelism.default", Integer.toString(parallelism(job)));
                StreamExecutionEnvironment env = new StreamExecutionEnvironment(jobConf);
                ReflexJob.build(env, job);
                StreamGraph graph = env.getStreamGraph();
                graph.setJobName(ReflexJob.jobName(job));
                String from = restoreFrom.get(job.name());
                if (from != null) {
                    graph.setSavepointRestoreSettings(
                            org.apache.flink.runtime.jobgraph.SavepointRestoreSettings.forPath(
                                    from, false));
                    out.println("resuming " + job.name() + " from " + from);
                }
                JobID jobId = cluster.submitJob(graph).get().getJobID();
                ids.add(jobId);
                out.println("job " + jobId + " (" + job.name() + ") running; Flink web UI: " + ui);
            }
            tail.start();

            long started = System.nanoTime();
            long deadline = duration == null ? Long.MAX_VALUE : started + duration.toNanos();
            List<JobStatus> statuses = statuses(cluster, ids);
            while (true) {
                long wait = Math.min(STATUS_EVERY.toNanos(), deadline - System.nanoTime());
                if (wait <= 0 || stopRequested.await(wait, TimeUnit.NANOSECONDS)) {
                    break;
                }
                statuses = statuses(cluster, ids);
                out.println(statusLine(started, statuses, feedEvents, tail));
                if (statuses.stream().allMatch(JobStatus::isGloballyTerminalState)) {
                    break;
                }
            }

            for (int i = 0; i < ids.size(); i++) {
                JobID jobId = ids.get(i);
                JobStatus status = cluster.getJobStatus(jobId).get();
                if (!status.isGloballyTerminalState()) {
                    out.println("stopping " + jobs.get(i).name() + " with a savepoint ...");
                    String savepoint = stopWithSavepoint(cluster, jobId);
                    if (savepoint != null) {
                        out.println("savepoint: " + savepoint);
                        savepoints.put(jobs.get(i).name(), savepoint);
                        status =
                                cluster.requestJobResult(jobId)
                                        .get()
                                        .getApplicationStatus()
                                        .deriveJobStatus();
                    } else {
                        status = cluster.getJobStatus(jobId).get();
                        exit = 1;
                    }
                }
                if (status != JobStatus.FINISHED) {
                    if (exit == 0) {
                        out.println(
                                "job "
                                        + jobs.get(i).name()
                                        + " ended "
                                        + status
                                        + "; see the log for the cause");
                    }
                    exit = 1;
                }
                statuses.set(i, status);
            }
            if (!tail.catchUp(Duration.ofSeconds(30))) {
                out.println("warning: could not read every committed action back in 30s");
            }
            out.println(statusLine(started, statuses, feedEvents, tail));
            for (JobFile job : jobs) {
                printAuditTable(job, startedAtMs);
            }
            out.println(
                    String.format(
                            "summary: events=%d triggers=%d llm_calls=%d actions=%d"
                                    + " dead_letters=%d",
                            StatusReporter.total("eventsIn"),
                            StatusReporter.total("triggers"),
                            StatusReporter.total("llm.requests"),
                            tail.count(),
                            StatusReporter.total("deadLetters")));
        } finally {
            cluster.close();
            stopped.countDown();
        }
        return exit;
    }

    /**
     * Stops the job with a savepoint, retrying while the job cannot take one (a task is not
     * running, a restart is in progress) for at most {@link #stopTimeout}. Then it cancels the job
     * and says so in one line with the newest retained checkpoint. Returns the savepoint, or null.
     */
    private String stopWithSavepoint(MiniCluster cluster, JobID jobId) throws Exception {
        String dir = stateDir.resolve("savepoints").toUri().toString();
        long deadline = System.nanoTime() + stopTimeout.toNanos();
        String lastError = "";
        while (true) {
            try {
                return cluster.stopWithSavepoint(jobId, dir, false, SavepointFormatType.CANONICAL)
                        .get(2, TimeUnit.MINUTES);
            } catch (ExecutionException | TimeoutException e) {
                lastError = Cli.oneLine(e);
            }
            if (cluster.getJobStatus(jobId).get().isGloballyTerminalState()
                    || System.nanoTime() > deadline) {
                break;
            }
            // The CLI's own thread, not Flink's: wait before the next attempt.
            LockSupport.parkNanos(STOP_RETRY_EVERY.toNanos());
        }
        if (!cluster.getJobStatus(jobId).get().isGloballyTerminalState()) {
            cluster.cancelJob(jobId).get(1, TimeUnit.MINUTES);
        }
        out.println(
                "reflex: could not take the final savepoint within "
                        + stopTimeout.toSeconds()
                        + " s ("
                        + lastError
                        + "); cancelled the job; newest retained checkpoint: "
                        + newestCheckpoint(jobId).map(Path::toString).orElse("none")
                        + "; exit 1");
        return null;
    }

    /** The newest complete checkpoint of {@code jobId} under the state directory. */
    private Optional<Path> newestCheckpoint(JobID jobId) throws IOException {
        Path dir = stateDir.resolve("checkpoints").resolve(jobId.toString());
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.filter(p -> p.getFileName().toString().startsWith("chk-"))
                    .filter(p -> Files.exists(p.resolve("_metadata")))
                    .max(
                            Comparator.comparingLong(
                                    p -> Long.parseLong(p.getFileName().toString().substring(4))));
        }
    }

    /** Most keys the end-of-run table lists; the totals cover all. */
    private static final int TABLE_ROWS = 25;

    /** The job's per-key table from its audit topic, when it writes one. */
    private void printAuditTable(JobFile job, long sinceMs) {
        String topic = job.sinks().auditTopic();
        if (topic == null) {
            return;
        }
        try {
            List<com.fasterxml.jackson.databind.JsonNode> records =
                    AuditTable.read(
                            job.sinks().bootstrapServers(),
                            job.sinks().properties(),
                            topic,
                            sinceMs);
            out.println(
                    "per key, from "
                            + topic
                            + " ("
                            + records.size()
                            + " LLM interactions of "
                            + job.name()
                            + "):");
            out.print(AuditTable.render(records, TABLE_ROWS));
        } catch (RuntimeException e) {
            out.println("(no per-key table: could not read " + topic + ": " + Cli.oneLine(e) + ")");
        }
    }

    private static int parallelism(JobFile job) {
        return job.parallelism() > 0 ? job.parallelism() : 2;
    }

    private static List<JobStatus> statuses(MiniCluster cluster, List<JobID> ids) throws Exception {
        List<JobStatus> out = new ArrayList<>();
        for (JobID id : ids) {
            out.add(cluster.getJobStatus(id).get());
        }
        return out;
    }

    private static String statusLine(
            long started, List<JobStatus> statuses, LongSupplier feedEvents, ActionTail tail) {
        String status = statuses.stream().map(JobStatus::toString).collect(Collectors.joining(","));
        long secs = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        String produced = feedEvents == null ? "" : " feed_produced=" + feedEvents.getAsLong();
        return String.format(
                "status  t=%ds job=%s%s events=%d triggers=%d llm_in_flight=%d"
                        + " llm_calls=%d retries=%d actions_committed=%d no_action=%d"
                        + " dead_letters=%d",
                secs,
                status,
                produced,
                StatusReporter.total("eventsIn"),
                StatusReporter.total("triggers"),
                StatusReporter.total("llm.inFlight"),
                StatusReporter.total("llm.requests"),
                StatusReporter.total("llm.retries"),
                tail.count(),
                StatusReporter.total("noActionDecisions"),
                StatusReporter.total("deadLetters"));
    }
}
