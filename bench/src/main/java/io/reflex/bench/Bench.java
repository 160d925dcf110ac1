package io.reflex.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs benchmarks by name, in order, and writes each one's report to the results directory.
 *
 * <pre>
 * Bench [--smoke] [--out DIR] [NAME...]     (no NAME: all of them)
 * </pre>
 */
public final class Bench {
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
    }

    private Bench() {}

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        boolean smoke = false;
        Path out = Path.of("bench/results");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--out" -> out = Path.of(args[++i]);
                default -> names.add(args[i]);
            }
        }
        if (names.isEmpty()) {
            names.addAll(ALL.keySet());
        }
        for (String n : names) {
            if (!ALL.containsKey(n)) {
                System.err.println(
                        "unknown benchmark '" + n + "' (available: " + ALL.keySet() + ")");
                System.exit(2);
            }
        }
        runAll(names, out, smoke);
        // Flink's and Kafka's non-daemon threads must not keep the JVM alive.
        System.exit(0);
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
