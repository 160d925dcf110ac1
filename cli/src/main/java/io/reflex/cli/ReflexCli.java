package io.reflex.cli;

import io.reflex.jobs.cli.Cli;
import io.reflex.jobs.config.JobFile;
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
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The local launcher behind {@code bin/reflex}:
 *
 * <ul>
 *   <li>{@code demo [--job-file F] [--duration 60s] [--llm-base-url URL | --llm openai]}: the
 *       example job on the embedded sandbox (Kafka in-process, the stub LLM unless asked otherwise,
 *       the market feed) and a local MiniCluster.
 *   <li>{@code run JOBFILE [--duration D]}: any job file on a local MiniCluster against the Kafka
 *       and LLM it names.
 *   <li>{@code backtest JOBFILE --journal TOPIC [--from T] [--to T]}: the job bounded over its
 *       Kafka history, every answer replayed from a recorded journal ({@link BacktestCommand}).
 *   <li>{@code tail TOPIC}: a topic's committed records, one readable line each ({@link
 *       TailCommand}).
 * </ul>
 *
 * Exit codes as in {@link Cli}: 0 done, 1 the job failed, 2 bad arguments or an invalid job file.
 */
@Command(
        name = "reflex",
        mixinStandardHelpOptions = true,
        versionProvider = Cli.Version.class,
        scope = ScopeType.INHERIT,
        subcommands = {
            ReflexCli.Demo.class,
            ReflexCli.Run.class,
            BacktestCommand.class,
            TailCommand.class,
            DoctorCommand.class
        },
        description = "Runs Reflex jobs on a local Flink MiniCluster.")
public final class ReflexCli implements Callable<Integer> {
    private static final PrintStream OUT =
            new PrintStream(System.out, true, StandardCharsets.UTF_8);

    @Spec CommandSpec spec;

    /** How long {@code run} and {@code submit} wait for each broker in the preflight. */
    public static final Duration PREFLIGHT_TIMEOUT = Duration.ofSeconds(10);

    /** The one place that turns the outcome into the process's exit code. */
    public static void main(String[] args) {
        System.exit(Cli.execute(new ReflexCli(), args));
    }

    @Override
    public Integer call() {
        throw new ParameterException(
                spec.commandLine(), "missing command (demo, run, backtest, tail or doctor)");
    }

    @Command(
            name = "demo",
            description = {
                "Runs the example job on the embedded sandbox: an in-process Kafka broker, the stub"
                        + " LLM (or the endpoint you name), the market feed, and a local Flink"
                        + " MiniCluster with its web UI. Without --duration it runs until Ctrl-C."
            })
    static final class Demo implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(
                names = "--job-file",
                paramLabel = "FILE",
                description = "the job file (default: ${DEFAULT-VALUE})",
                defaultValue = "jobs/examples/market-watch.yaml")
        Path jobFile;

        @Option(
                names = "--chain",
                arity = "0..1",
                paramLabel = "FILE",
                fallbackValue = "jobs/examples/investigate.yaml",
                description =
                        "also run a second agent on the same MiniCluster that reads the first"
                                + " one's routed actions (default FILE: ${FALLBACK-VALUE})")
        Path chain;

        @Mixin RunFor runFor;

        @Option(
                names = "--llm-base-url",
                paramLabel = "URL",
                description = "an OpenAI-compatible endpoint instead of the stub")
        String llmBaseUrl;

        @Option(
                names = "--llm",
                paramLabel = "openai",
                description =
                        "'openai': the real endpoint, with OPENAI_API_KEY from the environment")
        String llm;

        @Option(
                names = "--resume",
                description =
                        "continue the last demo from the savepoint it stopped with, on the broker"
                                + " data it kept (both under .reflex/demo/)")
        boolean resume;

        @Override
        public Integer call() throws Exception {
            if (llm != null && !"openai".equals(llm)) {
                throw new ParameterException(
                        spec.commandLine(), "--llm takes 'openai' (or use --llm-base-url URL)");
            }
            return demo(jobFile, chain, runFor.duration, llmBaseUrl, llm, resume);
        }
    }

    @Command(
            name = "run",
            description =
                    "Runs a job file on a local MiniCluster against the Kafka and LLM endpoint it"
                            + " names.")
    static final class Run implements Callable<Integer> {
        @Parameters(paramLabel = "JOBFILE", description = "the job file")
        Path file;

        @Mixin RunFor runFor;

        @Override
        public Integer call() throws Exception {
            return run(file, runFor.duration);
        }
    }

    /** How long {@code demo} and {@code run} run. */
    static final class RunFor {
        @Option(
                names = "--duration",
                paramLabel = "D",
                description =
                        "stop after this long (for example 60s, 5m); without it, run until Ctrl-C")
        Duration duration;
    }

    private static int run(Path file, Duration duration) throws Exception {
        JobFile job = Cli.jobFile(file, System.getenv());
        List<String> missing = KafkaPreflight.problems(job, PREFLIGHT_TIMEOUT);
        if (!missing.isEmpty()) {
            System.err.println(preflightFailure(file, missing));
            return Cli.USAGE;
        }
        Path state = Files.createTempDirectory("reflex-run-");
        LocalRunner runner = new LocalRunner(job, state, OUT);
        onCtrlC(runner);
        OUT.println("reflex run: " + file + " (state in " + state + ")");
        return runner.run(duration, null);
    }

    /**
     * Where the demo keeps its broker data, checkpoints and savepoints, and the savepoints to
     * resume from: {@code .reflex/demo/} ({@code $REFLEX_DEMO_HOME} for tests).
     */
    private static Path demoHome() {
        String home = System.getenv("REFLEX_DEMO_HOME");
        return home != null
                ? Path.of(home)
                : Path.of(System.getProperty("reflex.home", ".")).resolve(".reflex/demo");
    }

    private static int demo(
            Path file, Path chain, Duration duration, String llmBaseUrl, String llm, boolean resume)
            throws Exception {
        Path home = demoHome().toAbsolutePath();
        Path resumeFile = home.resolve("resume.properties");
        java.util.Properties resumeFrom = new java.util.Properties();
        if (resume) {
            if (!Files.exists(resumeFile)) {
                System.err.println(
                        "reflex: no demo to resume in "
                                + home
                                + ": run bin/reflex demo first and stop it with Ctrl-C or"
                                + " --duration; it keeps a savepoint there");
                return Cli.USAGE;
            }
            try (var in = Files.newInputStream(resumeFile)) {
                resumeFrom.load(in);
            }
        } else {
            // A fresh demo starts from nothing: the last one's broker data and savepoints go.
            Cli.deleteTree(home);
        }
        Files.createDirectories(home);
        OUT.println(
                "reflex demo: starting the embedded Kafka broker ("
                        + (resume ? "its data kept in " : "data in ")
                        + home.resolve("kafka")
                        + ") ...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(home.resolve("kafka"))) {
            kafka.createTopics(2, FeedGenerator.TRADES_TOPIC, FeedGenerator.NEWS_TOPIC);
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("REFLEX_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
            StubLlmServer stub = null;
            if (llmBaseUrl != null) {
                env.put("OPENAI_BASE_URL", llmBaseUrl);
                OUT.println("LLM: " + llmBaseUrl + " (as asked)");
            } else if ("openai".equals(llm)) {
                if (System.getenv("OPENAI_API_KEY") == null) {
                    System.err.println(
                            "reflex: --llm openai needs OPENAI_API_KEY in the environment");
                    return Cli.USAGE;
                }
                OUT.println(
                        "LLM: "
                                + env.getOrDefault("OPENAI_BASE_URL", "https://api.openai.com/v1")
                                + " (real endpoint, as asked)");
            } else {
                // A key merely present in the environment must never spend money: the demo uses
                // the stub unless a real endpoint is asked for.
                stub =
                        StubLlmServer.start(
                                        0,
                                        StubLlmServer.Settings.healthy().withLatency(250, 0.5),
                                        42)
                                .analyst(true);
                env.put("OPENAI_BASE_URL", stub.baseUrl());
                env.put("OPENAI_API_KEY", "");
                env.put("REFLEX_MODEL", "stub-model");
                OUT.println(
                        "LLM: stub at "
                                + stub.baseUrl()
                                + " (the analyst: decides from the figures and words in each"
                                + " prompt; log-normal latency, mean 250 ms)");
            }
            FeedServer news = FeedServer.start(new FeedServer.Settings(3, 0, null, 0, true), 11);
            env.put("REFLEX_NEWS_FEED_URL", news.url());
            JobFile job = Cli.jobFile(file, env);
            createSinkTopics(job.sinks());
            List<JobFile> jobs = new java.util.ArrayList<>(List.of(job));
            if (chain != null) {
                JobFile second = Cli.jobFile(chain, env);
                createSinkTopics(second.sinks());
                jobs.add(second);
                OUT.println(
                        "chain: "
                                + job.name()
                                + " -> "
                                + second.sources().stream()
                                        .flatMap(src -> src.topics().stream())
                                        .toList()
                                + " -> "
                                + second.name());
            }
            AtomicBoolean stopFeed = new AtomicBoolean();
            AtomicLong produced = new AtomicLong();
            FeedGenerator.Options d = FeedGenerator.Options.defaults(System.currentTimeMillis());
            // Trades only: the news comes over the WebSocket feed.
            FeedGenerator feed =
                    new FeedGenerator(
                            new FeedGenerator.Options(
                                    d.symbols(),
                                    // A resumed demo's trades need ids the first run did not use.
                                    resume ? System.currentTimeMillis() : d.seed(),
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
            LocalRunner runner =
                    new LocalRunner(
                            jobs, home.resolve("state"), OUT, LocalRunner.DEFAULT_STOP_TIMEOUT);
            Map<String, String> from = new HashMap<>();
            resumeFrom.forEach((k, v) -> from.put((String) k, (String) v));
            runner.restoreFrom(from);
            onCtrlC(runner);
            try {
                int exit = runner.run(duration, produced::get);
                if (!runner.savepoints().isEmpty()) {
                    java.util.Properties saved = new java.util.Properties();
                    saved.putAll(runner.savepoints());
                    try (var out = Files.newOutputStream(resumeFile)) {
                        saved.store(out, "bin/reflex demo --resume starts each job from these");
                    }
                    OUT.println("to continue from here: bin/reflex demo --resume");
                }
                return exit;
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

    /** Creates the topics the demo's job writes, two partitions each, and lists them. */
    private static void createSinkTopics(JobFile.SinkSpec sinks) throws Exception {
        try (Admin admin =
                KafkaPreflight.admin(
                        sinks.bootstrapServers(), sinks.properties(), PREFLIGHT_TIMEOUT)) {
            KafkaPreflight.createSinkTopics(admin, sinks, 2, PREFLIGHT_TIMEOUT);
        }
        StringBuilder topics = new StringBuilder("outputs:");
        sinks.topicsByKey()
                .forEach(
                        (topic, key) ->
                                topics.append("\n  ").append(key).append(" -> ").append(topic));
        OUT.println(topics);
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
}
