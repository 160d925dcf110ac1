package io.reflex.cli.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flink's own command-line client ({@code CliFrontend}) in a child JVM with the cluster's classpath
 * and configuration folder, as {@code bin/flink} would run it. The environment of this process (for
 * the job file's {@code ${VAR}}s) is passed on.
 */
public final class FlinkCli {
    static final Pattern JOB_ID =
            Pattern.compile("Job has been submitted with JobID ([0-9a-f]{32})");
    static final Pattern SAVEPOINT_PATH =
            Pattern.compile("Savepoint (?:completed|stored in)\\.? ?(?:Path: )?(\\S+)");

    private final ClusterHome home;
    private final Map<String, String> env;

    public FlinkCli(ClusterHome home, Map<String, String> env) {
        this.home = home;
        this.env = env;
    }

    /** What the CLI printed and how it exited. */
    public record Result(int exitCode, String output) {}

    /** {@code flink run -d [-s savepoint] [-p N] jar jobFile [--parallelism N]}: the job id. */
    public String run(Path jar, Path jobFile, int parallelism, String savepoint)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("run", "-d"));
        if (savepoint != null) {
            args.addAll(List.of("-s", savepoint));
        }
        if (parallelism > 0) {
            args.addAll(List.of("-p", Integer.toString(parallelism)));
        }
        args.add(jar.toAbsolutePath().toString());
        args.add(jobFile.toAbsolutePath().toString());
        if (parallelism > 0) {
            // The job file's own parallelism would win over -p; this overrides it.
            args.addAll(List.of("--parallelism", Integer.toString(parallelism)));
        }
        return extract(invoke(args), JOB_ID, "submit");
    }

    /** {@code flink stop --savepointPath DIR JOBID}: the savepoint's path. */
    public String stopWithSavepoint(String jobId, String dir)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("stop"));
        if (dir != null) {
            args.addAll(List.of("--savepointPath", dir));
        }
        args.add(jobId);
        return extract(invoke(args), SAVEPOINT_PATH, "stop with a savepoint");
    }

    /** {@code flink savepoint JOBID [DIR]}: the savepoint's path; the job keeps running. */
    public String savepoint(String jobId, String dir) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("savepoint", jobId));
        if (dir != null) {
            args.add(dir);
        }
        return extract(invoke(args), SAVEPOINT_PATH, "savepoint");
    }

    /** Runs the CLI with {@code args} and returns what it printed. */
    public Result invoke(List<String> args) throws IOException, InterruptedException {
        Files.createDirectories(home.logDir());
        List<String> cmd = new ArrayList<>();
        cmd.add(ClusterHome.java());
        cmd.add("-Xmx512m");
        cmd.addAll(home.javaFlags());
        cmd.add("-Dlog.file=" + home.logDir().resolve("flink-cli.log"));
        cmd.add("-Dlog4j.configurationFile=file:" + home.confDir().resolve("log4j-cli.properties"));
        cmd.add("-cp");
        cmd.add(home.classpath());
        cmd.add("org.apache.flink.client.cli.CliFrontend");
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("FLINK_CONF_DIR", home.confDir().toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), output);
    }

    static String extract(Result r, Pattern pattern, String what) throws IOException {
        Matcher m = pattern.matcher(r.output());
        if (r.exitCode() != 0 || !m.find()) {
            throw new IOException(
                    "flink " + what + " failed (exit " + r.exitCode() + "):\n" + r.output().trim());
        }
        return m.group(1);
    }
}
