package io.reflex.cli;

import io.reflex.jobs.config.Durations;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileException;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.jobs.kafka.KafkaPreflight;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.FeedGenerator;
import io.reflex.sandbox.FeedServer;
import io.reflex.sandbox.StubLlmServer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The local launcher behind {@code bin/reflex}:
 *
 * <ul>
 *   <li>{@code demo [--job-file F] [--duration 60s] [--llm-base-url URL | --llm openai]}: the
 *       example job on the embedded sandbox (Kafka in-process, the stub LLM unless asked otherwise,
 *       the market feed) and a local MiniCluster.
 *   <li>{@code run JOBFILE [--duration D]}: any job file on a local MiniCluster against the Kafka
 *       and LLM it names.
 * </ul>
 *
 * Exit codes: 0 done, 1 the job failed, 2 bad arguments or an invalid job file.
 */
public final class ReflexCli {
    private static final PrintStream OUT =
            new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private ReflexCli() {}

    /** How long {@code run} and {@code submit} wait for each broker in the preflight. */
    public static final Duration PREFLIGHT_TIMEOUT = Duration.ofSeconds(10);

    /** The one place that turns the outcome into the process's exit code. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs a command and returns its exit code. Failures are reported in one line, never as a stack
     * trace (the log file has the details).
     */
    static int execute(String[] args) {
        try {
            return command(args);
        } catch (Exit e) {
            return e.code;
        } catch (Exception e) {
            System.err.println("reflex: " + oneLine(e) + " (details in the log)");
            return 1;
        }
    }

    /** The message of {@code e}'s root cause, on one line. */
    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }

    /** Ends a command early with an exit code, after its reason has been printed. */
    static final class Exit extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;

        Exit(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    private static int command(String[] args) throws Exception {
        if (args.length == 0) {
            usage("missing command");
        }
        Map<String, String> opts = new HashMap<>();
        String positional = null;
        for (int i = 1; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                if (i + 1 >= args.length) {
                    usage(args[i] + " needs a value");
                }
                opts.put(args[i].substring(2), args[++i]);
            } else if (positional == null) {
                positional = args[i];
            } else {
                usage("unexpected argument " + args[i]);
            }
        }
        Duration duration = opts.containsKey("duration") ? duration(opts.get("duration")) : null;
        int code;
        switch (args[0]) {
            case "demo":
                code = demo(opts, duration);
                break;
            case "run":
                if (positional == null) {
                    usage("run needs a job file");
                }
                code = run(Path.of(positional), duration);
                break;
            default:
                usage("unknown command " + args[0]);
                code = 2;
        }
        return code;
    }

    private static int run(Path file, Duration duration) throws Exception {
        JobFile job = parse(file, System.getenv());
        List<String> missing = KafkaPreflight.problems(job, PREFLIGHT_TIMEOUT);
        if (!missing.isEmpty()) {
            System.err.println(preflightFailure(file, missing));
            return 2;
        }
        Path state = Files.createTempDirectory("reflex-run-");
        LocalRunner runner = new LocalRunner(job, state, OUT);
        onCtrlC(runner);
        OUT.println("reflex run: " + file + " (state in " + state + ")");
        return runner.run(duration, null);
    }

    private static int demo(Map<String, String> opts, Duration duration) throws Exception {
        Path file = Path.of(opts.getOrDefault("job-file", "jobs/examples/market-watch.yaml"));
        OUT.println("reflex demo: starting the embedded Kafka broker ...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics(
                    2,
                    FeedGenerator.TRADES_TOPIC,
                    FeedGenerator.NEWS_TOPIC,
                    "reflex.actions",
                    "reflex.dlq");
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("REFLEX_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
            StubLlmServer stub = null;
            String llm = opts.get("llm");
            if (opts.containsKey("llm-base-url")) {
                env.put("OPENAI_BASE_URL", opts.get("llm-base-url"));
                OUT.println("LLM: " + opts.get("llm-base-url") + " (as asked)");
            } else if ("openai".equals(llm)) {
                if (System.getenv("OPENAI_API_KEY") == null) {
                    OUT.println("--llm openai needs OPENAI_API_KEY in the environment");
                    return 2;
                }
                OUT.println(
                        "LLM: "
                                + env.getOrDefault("OPENAI_BASE_URL", "https://api.openai.com/v1")
                                + " (real endpoint, as asked)");
            } else if (llm != null) {
                usage("--llm takes 'openai' (or use --llm-base-url URL)");
            } else {
                // A key merely present in the environment must never spend money: the demo uses
                // the stub unless a real endpoint is asked for.
                stub =
                        StubLlmServer.start(
                                0, StubLlmServer.Settings.healthy().withLatency(250, 0.5), 42);
                env.put("OPENAI_BASE_URL", stub.baseUrl());
                env.put("OPENAI_API_KEY", "");
                env.put("REFLEX_MODEL", "stub-model");
                OUT.println(
                        "LLM: stub at " + stub.baseUrl() + " (log-normal latency, mean 250 ms)");
            }
            FeedServer news = FeedServer.start(new FeedServer.Settings(3, 0, null, 0, true), 11);
            env.put("REFLEX_NEWS_FEED_URL", news.url());
            JobFile job = parse(file, env);
            AtomicBoolean stopFeed = new AtomicBoolean();
            AtomicLong produced = new AtomicLong();
            FeedGenerator.Options d = FeedGenerator.Options.defaults(System.currentTimeMillis());
            // Trades only: the news comes over the WebSocket feed.
            FeedGenerator feed =
                    new FeedGenerator(
                            new FeedGenerator.Options(
                                    d.symbols(),
                                    d.seed(),
                                    d.startMillis(),
                                    d.stepMillis(),
                                    0,
                                    d.alarmingProbability(),
                                    d.jumpProbability(),
                                    d.spikeProbability()));
            Thread feeder =
                    new Thread(
                            () -> {
                                try {
                                    feed.producePaced(
                                            kafka.bootstrapServers(), stopFeed::get, produced);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            },
                            "reflex-demo-feed");
            feeder.setDaemon(true);
            feeder.start();
            OUT.println(
                    "feed: trades on Kafka "
                            + FeedGenerator.TRADES_TOPIC
                            + " at 50 events/s; news over WebSocket at "
                            + news.url()
                            + ", 3/s");
            Path state = Files.createTempDirectory("reflex-demo-");
            LocalRunner runner = new LocalRunner(job, state, OUT);
            onCtrlC(runner);
            try {
                return runner.run(duration, produced::get);
            } finally {
                stopFeed.set(true);
                feeder.join(5000);
                if (stub != null) {
                    stub.close();
                }
                news.close();
            }
        }
    }

    private static JobFile parse(Path file, Map<String, String> env) {
        try {
            return new JobFileParser(env).parse(file);
        } catch (JobFileException e) {
            System.err.println(e.getMessage());
            throw new Exit(2);
        }
    }

    /** The preflight's problems as printed by {@code run} and {@code submit}. */
    public static String preflightFailure(Path file, List<String> problems) {
        return file
                + " cannot start, "
                + problems.size()
                + " problem(s) with its Kafka topics:\n  - "
                + String.join("\n  - ", problems);
    }

    private static void onCtrlC(LocalRunner runner) {
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    try {
                                        runner.stopAndWait();
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                },
                                "reflex-shutdown"));
    }

    private static Duration duration(String s) {
        Duration d = Durations.parse(s);
        if (d == null) {
            usage("bad duration '" + s + "' (examples: 30s, 5m)");
        }
        return d;
    }

    private static void usage(String problem) {
        System.err.println("reflex: " + problem);
        System.err.println(
                "usage: reflex demo [--duration 60s] [--llm-base-url URL | --llm openai]"
                        + " [--job-file FILE]");
        System.err.println("       reflex run JOBFILE [--duration D]");
        throw new Exit(2);
    }
}
