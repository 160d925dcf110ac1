package io.reflex.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.cli.ReflexCli;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileException;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.jobs.kafka.KafkaPreflight;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster commands behind {@code bin/reflex}:
 *
 * <ul>
 *   <li>{@code cluster start|stop|status [--taskmanagers N]}: a standalone session cluster on
 *       127.0.0.1 with {@code flink-conf/}.
 *   <li>{@code submit JOBFILE [--parallelism N]}: the job jar and job file through Flink's CLI
 *       ({@code run -d}); prints the job id and waits until every task runs.
 *   <li>{@code upgrade JOBID JOBFILE [--jar NEW] [--parallelism N]}: stop with a savepoint, then
 *       submit from it; prints the savepoint and the new job id.
 *   <li>{@code savepoint JOBID [--dir DIR]}: triggers a savepoint and prints its path.
 * </ul>
 *
 * The job file is checked here first, so a bad file is refused with every problem before anything
 * reaches the cluster. Exit codes: 0 done, 1 the operation failed, 2 bad arguments or job file.
 */
public final class ClusterCli {
    private static final PrintStream OUT =
            new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(120);

    private ClusterCli() {}

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (Exception e) {
            System.err.println("reflex: " + e.getMessage());
            code = 1;
        }
        System.exit(code);
    }

    static int run(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                if (i + 1 >= args.length) {
                    return usage(args[i] + " needs a value");
                }
                opts.put(args[i].substring(2), args[++i]);
            } else {
                positional.add(args[i]);
            }
        }
        if (positional.isEmpty()) {
            return usage("missing command");
        }
        String command = positional.get(0);
        // The job file and its topics first: a bad one is refused whether or not a cluster runs.
        if (command.equals("submit")
                && positional.size() == 2
                && !valid(Path.of(positional.get(1)))) {
            return 2;
        }
        if (command.equals("upgrade")
                && positional.size() == 3
                && !valid(Path.of(positional.get(2)))) {
            return 2;
        }
        ClusterHome home = ClusterHome.fromEnvironment(System.getenv());
        if (!command.equals("cluster")
                && new FlinkRest(home.restUrl()).get("/overview").isEmpty()) {
            System.err.println(
                    "reflex: no Flink cluster answers at "
                            + home.restUrl()
                            + " (start one with bin/reflex cluster start, or set FLINK_CONF_DIR"
                            + " to the configuration of yours)");
            return 1;
        }
        switch (command) {
            case "cluster":
                return cluster(home, positional, opts);
            case "submit":
                if (positional.size() != 2) {
                    return usage("submit takes one job file");
                }
                return submit(home, Path.of(positional.get(1)), opts);
            case "upgrade":
                if (positional.size() != 3) {
                    return usage("upgrade takes a job id and a job file");
                }
                return upgrade(home, positional.get(1), Path.of(positional.get(2)), opts);
            case "savepoint":
                if (positional.size() != 2) {
                    return usage("savepoint takes a job id");
                }
                OUT.println(
                        "savepoint: "
                                + new FlinkCli(home, System.getenv())
                                        .savepoint(positional.get(1), opts.get("dir")));
                return 0;
            default:
                return usage("unknown command " + command);
        }
    }

    private static int cluster(ClusterHome home, List<String> positional, Map<String, String> o)
            throws Exception {
        StandaloneCluster cluster = new StandaloneCluster(home, OUT);
        String action = positional.size() > 1 ? positional.get(1) : "";
        switch (action) {
            case "start":
                int n = Integer.parseInt(o.getOrDefault("taskmanagers", "1"));
                if (n < 1) {
                    return usage("--taskmanagers must be at least 1");
                }
                return cluster.start(n, START_TIMEOUT) ? 0 : 1;
            case "stop":
                cluster.stop();
                return 0;
            case "status":
                return cluster.status() ? 0 : 1;
            default:
                return usage("cluster takes start, stop or status");
        }
    }

    private static int submit(ClusterHome home, Path jobFile, Map<String, String> opts)
            throws Exception {
        Path jar = Path.of(opts.getOrDefault("jar", home.jobJar().toString()));
        int parallelism = Integer.parseInt(opts.getOrDefault("parallelism", "0"));
        long t0 = System.nanoTime();
        String jobId = new FlinkCli(home, System.getenv()).run(jar, jobFile, parallelism, null);
        OUT.println("job id: " + jobId);
        return awaitRunning(home, jobId, t0);
    }

    private static int upgrade(
            ClusterHome home, String jobId, Path jobFile, Map<String, String> opts)
            throws Exception {
        Path jar = Path.of(opts.getOrDefault("jar", home.jobJar().toString()));
        int parallelism = Integer.parseInt(opts.getOrDefault("parallelism", "0"));
        FlinkCli cli = new FlinkCli(home, System.getenv());
        long t0 = System.nanoTime();
        String savepoint = cli.stopWithSavepoint(jobId, opts.get("dir"));
        OUT.printf("savepoint: %s (job %s stopped in %.1f s)%n", savepoint, jobId, secs(t0));
        long t1 = System.nanoTime();
        String newJob = cli.run(jar, jobFile, parallelism, savepoint);
        OUT.println("job id: " + newJob);
        return awaitRunning(home, newJob, t1);
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
            return 0;
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
        return 1;
    }

    /**
     * Checks the job file with the environment the job will see, then its Kafka topics (the
     * preflight); lists every problem.
     */
    private static boolean valid(Path jobFile) {
        JobFile job;
        try {
            job = JobFileParser.withSystemEnv().parse(jobFile);
        } catch (JobFileException e) {
            System.err.println(e.getMessage());
            return false;
        }
        List<String> problems = KafkaPreflight.problems(job, ReflexCli.PREFLIGHT_TIMEOUT);
        if (!problems.isEmpty()) {
            System.err.println(ReflexCli.preflightFailure(jobFile, problems));
            return false;
        }
        return true;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static int usage(String problem) {
        System.err.println("reflex: " + problem);
        System.err.println("usage: reflex cluster start|stop|status [--taskmanagers N]");
        System.err.println("       reflex submit JOBFILE [--parallelism N] [--jar JAR]");
        System.err.println(
                "       reflex upgrade JOBID JOBFILE [--jar NEW] [--parallelism N] [--dir DIR]");
        System.err.println("       reflex savepoint JOBID [--dir DIR]");
        System.err.println("       reflex savepoint inspect PATH [--key K]");
        return 2;
    }
}
