package io.reflex.jobs.cli;

import io.reflex.connectors.config.Durations;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileException;
import io.reflex.jobs.config.JobFileParser;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.commons.lang3.exception.ExceptionUtils;
import org.apache.flink.runtime.util.EnvironmentInformation;
import picocli.CommandLine;

/**
 * The command-line conventions every {@code bin/reflex} command shares, on picocli: {@code --help}
 * on every command and subcommand, unknown options and arguments refused, durations as in job files
 * ({@code 30s}, {@code 5m}), and the documented exit codes.
 *
 * <ul>
 *   <li>0: done.
 *   <li>1: the operation or the job failed; one line on stderr, the details in the log.
 *   <li>2: bad arguments, or a job file that is refused (every problem is printed).
 * </ul>
 *
 * Only the {@code main} methods turn the code into the process's exit status.
 */
public final class Cli {
    /** Exit code: done. */
    public static final int OK = 0;

    /** Exit code: the operation or the job failed. */
    public static final int FAILED = 1;

    /** Exit code: bad arguments or a refused job file. */
    public static final int USAGE = CommandLine.ExitCode.USAGE;

    private Cli() {}

    /** Ends a command early with an exit code, after its reason has been printed. */
    public static final class Exit extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;

        public Exit(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    /**
     * The job file at {@code file}, with {@code ${VAR}}s from {@code env}. A refused file has every
     * problem printed, and the command ends with {@link #USAGE}.
     */
    public static JobFile jobFile(Path file, Map<String, String> env) {
        try {
            JobFileParser parser = new JobFileParser(env);
            JobFile job = parser.parse(file);
            parser.warnings().forEach(w -> System.err.println("warning: " + file + ": " + w));
            return job;
        } catch (JobFileException e) {
            System.err.println(e.getMessage());
            throw new Exit(USAGE);
        }
    }

    /** Runs {@code root}'s command line on {@code args} and returns the exit code. */
    public static int execute(Object root, String... args) {
        CommandLine cl = new CommandLine(root);
        cl.registerConverter(Duration.class, Cli::duration);
        cl.setOut(new PrintWriter(System.out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(System.err, true, StandardCharsets.UTF_8));
        cl.setExecutionExceptionHandler(
                (e, command, parsed) -> {
                    if (e instanceof Exit exit) {
                        return exit.code;
                    }
                    command.getErr().println("reflex: " + oneLine(e) + " (details in the log)");
                    return FAILED;
                });
        return cl.execute(args);
    }

    /** {@code --version}: Reflex's and Flink's versions. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String reflex = Cli.class.getPackage().getImplementationVersion();
            return new String[] {
                "reflex " + (reflex == null ? "(development build)" : reflex),
                "Flink " + EnvironmentInformation.getVersion()
            };
        }
    }

    /** A duration as job files write it; a bad one is a usage error naming the examples. */
    static Duration duration(String s) {
        Duration d = Durations.parse(s);
        if (d == null) {
            throw new CommandLine.TypeConversionException(
                    "bad duration '" + s + "' (examples: 30s, 5m)");
        }
        return d;
    }

    /** The message of {@code e}'s root cause, on one line. */
    public static String oneLine(Throwable e) {
        Throwable root = ExceptionUtils.getRootCause(e);
        root = root == null ? e : root;
        String m;
        if (root.getMessage() == null) {
            m = root.getClass().getSimpleName();
        } else if (root instanceof java.io.IOException) {
            // Their messages are often a bare path: say what happened to it.
            m = root.getClass().getSimpleName() + ": " + root.getMessage();
        } else {
            m = root.getMessage();
        }
        return m.replaceAll("\\s+", " ").trim();
    }

    /** Deletes {@code dir} and everything under it; nothing when it does not exist. */
    public static void deleteTree(java.nio.file.Path dir) throws java.io.IOException {
        if (!java.nio.file.Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.walk(dir)) {
            for (java.nio.file.Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        }
    }
}
