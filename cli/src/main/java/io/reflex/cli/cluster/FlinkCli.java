package io.reflex.cli.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Flink's own command-line client ({@code CliFrontend}) in a child JVM with the cluster's classpath
 * and configuration folder, as {@code bin/flink} would run it, for the one thing it must do: build
 * the job graph on this side, where the job file and the environment of this process (for the job
 * file's {@code ${VAR}}s) are, and submit it. What the submission started is read back through the
 * REST API ({@link ClusterJobs}), not from what the client prints.
 */
public final class FlinkCli {
    private final ClusterHome home;
    private final Map<String, String> env;

    public FlinkCli(ClusterHome home, Map<String, String> env) {
        this.home = home;
        this.env = env;
    }

    /** What the CLI printed and how it exited. */
    public record Result(int exitCode, String output) {}

    /**
     * {@code flink run -d [-s savepoint] [-p N] jar jobFile [--parallelism N]}: returns once the
     * job is submitted; fails with what the client printed when it could not submit it.
     */
    public void run(Path jar, Path jobFile, int parallelism, String savepoint)
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
        Result r = invoke(args);
        if (r.exitCode() != 0) {
            throw new IOException(
                    "flink run failed (exit " + r.exitCode() + "):\n" + r.output().trim());
        }
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
}
