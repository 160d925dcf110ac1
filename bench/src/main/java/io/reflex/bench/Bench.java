package io.reflex.bench;

import io.reflex.jobs.cli.Cli;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Runs benchmarks by name, in order, and writes each one's report to the results directory.
 *
 * <pre>
 * Bench [--smoke] [--out DIR] [NAME...]     (no NAME: all of them)
 * </pre>
 */
@Command(
        name = "reflex bench",
        mixinStandardHelpOptions = true,
        versionProvider = Cli.Version.class,
        description =
                "Runs benchmarks by name, in order (all of them without a name), and writes each"
                        + " one's report (NAME.json, NAME.md, NAME.png) to the results directory.")
public final class Bench implements Callable<Integer> {
    /** A benchmark: runs Reflex and its baselines in the same run and reports both. */
    @FunctionalInterface
    public interface Benchmark {
        BenchReport run(BenchContext ctx) throws Exception;
    }

    /** Every benchmark, in the order {@code bin/reflex bench} runs them. */
    public static final Map<String, Benchmark> ALL = new LinkedHashMap<>();

    static {
        ALL.put("ingest", IngestBench::run);
        ALL.put("llm-concurrency", LlmConcurrencyBench::run);
        ALL.put("burst-cost", BurstCostBench::run);
        ALL.put("latency", LatencyBench::run);
        ALL.put("state-size", StateSizeBench::run);
        ALL.put("quota", QuotaBench::run);
        ALL.put("failover-cost", FailoverCostBench::run);
        ALL.put("outputs-cost", OutputsCostBench::run);
    }

    @Spec CommandSpec spec;

    @Option(names = "--smoke", description = "each benchmark at a tiny size, to check the harness")
    boolean smoke;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = "bench/results",
            description = "the results directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Parameters(
            paramLabel = "NAME",
            arity = "0..*",
            description =
                    "ingest, llm-concurrency, burst-cost, latency, state-size or quota; several may"
                            + " be named")
    List<String> names = new ArrayList<>();

    private Bench() {}

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        // Flink's and Kafka's non-daemon threads must not keep the JVM alive: exit in any case.
        System.exit(Cli.execute(new Bench(), args));
    }

    @Override
    public Integer call() throws Exception {
        for (String n : names) {
            if (!ALL.containsKey(n)) {
                throw new ParameterException(
                        spec.commandLine(),
                        "unknown benchmark '" + n + "' (available: " + ALL.keySet() + ")");
            }
        }
        runAll(names.isEmpty() ? new ArrayList<>(ALL.keySet()) : names, out, smoke);
        return Cli.OK;
    }

    /** Runs the named benchmarks and writes their reports to {@code out}. */
    public static List<BenchReport> runAll(List<String> names, Path out, boolean smoke)
            throws Exception {
        List<BenchReport> reports = new ArrayList<>();
        try (BenchContext ctx = new BenchContext(out, smoke)) {
            for (String n : names) {
                long started = System.nanoTime();
                System.out.println("== " + n + (smoke ? " (smoke)" : ""));
                BenchReport report = ALL.get(n).run(ctx);
                report.write(out);
                reports.add(report);
                System.out.printf("== %s done in %.0f s%n", n, (System.nanoTime() - started) / 1e9);
            }
        }
        return reports;
    }
}
