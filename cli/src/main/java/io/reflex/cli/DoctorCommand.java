package io.reflex.cli;

import io.reflex.jobs.cli.Cli;
import io.reflex.jobs.config.JobFile;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reflex doctor JOBFILE}: checks what a job file points at, without starting a job. */
@Command(
        name = "doctor",
        description =
                "Checks a job file's brokers, topics, WebSocket feeds and LLM endpoint without"
                        + " starting a job: a table of checks; exit 0 when all pass, 2 when any"
                        + " fails.")
final class DoctorCommand implements Callable<Integer> {
    private static final PrintStream OUT =
            new PrintStream(System.out, true, StandardCharsets.UTF_8);

    @Parameters(paramLabel = "JOBFILE", description = "the job file")
    Path file;

    @Option(
            names = "--timeout",
            paramLabel = "D",
            defaultValue = "10s",
            description = "how long each check may take (default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Override
    public Integer call() {
        JobFile job = Cli.jobFile(file, System.getenv());
        List<Doctor.Check> checks = new Doctor(job, timeout).run();
        OUT.print(Doctor.render(checks));
        long failed = checks.stream().filter(c -> !c.ok()).count();
        OUT.println(
                failed == 0
                        ? "reflex doctor: " + file + ": all " + checks.size() + " checks pass"
                        : "reflex doctor: "
                                + file
                                + ": "
                                + failed
                                + " of "
                                + checks.size()
                                + " checks fail");
        return failed == 0 ? Cli.OK : Cli.USAGE;
    }
}
