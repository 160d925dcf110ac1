package io.reflex.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command of {@code bin/reflex} run as the launcher runs it: its main class in a JVM of its own,
 * on the tests' classpath, with {@code reflex.home} at the repository; its exit code and its output
 * (stdout and stderr together).
 */
record Launched(int exit, String output) {

    /** Runs {@code main} with {@code args} and waits for it, at most {@code timeout}. */
    static Launched run(Class<?> main, Duration timeout, String... args)
            throws IOException, InterruptedException {
        return run(main, timeout, java.util.Map.of(), List.of(), args);
    }

    /**
     * Runs {@code main} with {@code env} added to its environment and {@code jvmArgs} (such as
     * system properties) before its class name.
     */
    static Launched run(
            Class<?> main,
            Duration timeout,
            java.util.Map<String, String> env,
            List<String> jvmArgs,
            String... args)
            throws IOException, InterruptedException {
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Dreflex.home=" + Path.of("..").toAbsolutePath().normalize()));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("REFLEX_CLUSTER_HOME", Files.createTempDirectory("rc").toString());
        Process p = pb.start();
        // Read as it comes, so that a full pipe never stalls the command.
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(main.getSimpleName() + " did not exit within " + timeout);
        }
        return new Launched(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** {@code reflex} with {@code args}, within three minutes. */
    static Launched reflex(String... args) throws IOException, InterruptedException {
        return run(ReflexCli.class, Duration.ofMinutes(3), args);
    }
}
