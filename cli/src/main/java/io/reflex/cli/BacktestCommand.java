package io.reflex.cli;

import io.reflex.jobs.cli.Cli;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.kafka.KafkaPreflight;
import io.reflex.operators.journal.JournalOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code reflex backtest JOBFILE --journal TOPIC [--from earliest|TIME] [--to TIME]}: runs the job
 * bounded over the history of its Kafka sources on a local MiniCluster, deciding every request from
 * a recorded journal ({@code llm.mode: replay}), and writes the actions to a topic of their own.
 * The live job's offsets, actions and dead letters are left alone.
 */
@Command(
        name = "backtest",
        description = {
            "Runs a job file over the history of its Kafka sources, with every LLM answer served"
                    + " from a recorded journal (llm.mode: replay): free and deterministic. Actions go"
                    + " to <actions-topic>.backtest, dead letters to <dead-letter-topic>.backtest."
        })
final class BacktestCommand implements Callable<Integer> {
    private static final PrintStream OUT =
            new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "JOBFILE", description = "the job file")
    Path file;

    @Option(
            names = "--journal",
            required = true,
            paramLabel = "TOPIC",
            description = "the journal recorded by a run with llm.mode: record (or live)")
    String journal;

    @Option(
            names = "--from",
            paramLabel = "earliest|TIME",
            defaultValue = "earliest",
            description =
                    "where the history starts: earliest, an ISO-8601 instant or epoch"
                            + " milliseconds (default: ${DEFAULT-VALUE})")
    String from;

    @Option(
            names = "--to",
            paramLabel = "TIME",
            description =
                    "where it ends: an ISO-8601 instant or epoch milliseconds (default: the latest"
                            + " offsets when the backtest starts)")
    String to;

    @Option(
            names = "--actions-topic",
            paramLabel = "TOPIC",
            description = "where the actions go (default: <sinks.actions-topic>.backtest)")
    String actionsTopic;

    @Override
    public Integer call() throws Exception {
        long fromMs = "earliest".equals(from) ? -1 : time("--from", from);
        long toMs = to == null ? -1 : time("--to", to);
        JobFile live = Cli.jobFile(file, System.getenv());
        if (live.sources().isEmpty()) {
            System.err.println(
                    "reflex backtest: " + file + " has no Kafka source; a backtest reads history");
            return Cli.USAGE;
        }
        JobFile job = backtestOf(live, journal, fromMs, toMs, actionsTopic);
        if (!live.webSocketSources().isEmpty()) {
            OUT.println(
                    "note: WebSocket sources are live feeds without history; left out: "
                            + live.webSocketSources().stream()
                                    .map(JobFile.WebSocketSourceSpec::name)
                                    .toList());
        }
        Optional<String> problem = prepareTopics(job);
        if (problem.isPresent()) {
            System.err.println("reflex backtest: " + problem.get());
            return Cli.USAGE;
        }
        Path state = Files.createTempDirectory("reflex-backtest-");
        OUT.println(
                "reflex backtest: "
                        + file
                        + " from "
                        + (fromMs < 0 ? "the earliest offsets" : Instant.ofEpochMilli(fromMs))
                        + " to "
                        + (toMs < 0 ? "the latest offsets" : Instant.ofEpochMilli(toMs))
                        + ", answers from "
                        + journal
                        + ", actions to "
                        + job.sinks().actionsTopic());
        int exit = new LocalRunner(job, state, OUT).run(null, null);
        OUT.println(
                String.format(
                        "backtest: answers_from_journal=%d misses=%d llm_calls=%d actions_topic=%s",
                        StatusReporter.total("journal.journalHits"),
                        StatusReporter.total("journal.journalMisses"),
                        StatusReporter.total("llm.requests"),
                        job.sinks().actionsTopic()));
        return exit;
    }

    /**
     * {@code live} made a backtest: its Kafka sources bounded to the history under a group of its
     * own, no WebSocket source, its sinks on {@code .backtest} topics, and every answer replayed
     * from {@code journal} (misses as the job file says; answers asked live are journaled there).
     */
    static JobFile backtestOf(
            JobFile live, String journal, long fromMs, long toMs, String actionsTopic) {
        List<JobFile.KafkaSourceSpec> sources = new ArrayList<>();
        for (JobFile.KafkaSourceSpec s : live.sources()) {
            sources.add(s.history(fromMs, toMs, s.groupId() + ".backtest"));
        }
        JobFile.SinkSpec sinks = live.sinks();
        JobFile.SinkSpec backtestSinks = sinks.renamed(t -> t + ".backtest", actionsTopic);
        JournalOptions j = live.journal();
        JournalOptions replay =
                new JournalOptions(
                        true,
                        journal,
                        j.partitions(),
                        j.retention(),
                        j.maxRestoreEntries(),
                        j.restoreTimeout(),
                        j.groupWait(),
                        JournalOptions.REPLAY,
                        journal,
                        j.onMiss());
        return new JobFile(
                live.name(),
                live.parallelism(),
                live.maxParallelism(),
                live.checkpointInterval(),
                live.bufferTimeout(),
                sources,
                List.of(),
                live.detector(),
                live.llm(),
                live.llmOperator(),
                live.agent(),
                replay,
                live.budget(),
                live.catalogue(),
                backtestSinks);
    }

    /** Checks that the journal is there and creates the backtest's topics; a problem, or empty. */
    private static Optional<String> prepareTopics(JobFile job) throws Exception {
        JobFile.SinkSpec sinks = job.sinks();
        try (Admin admin =
                KafkaPreflight.admin(sinks.bootstrapServers(), sinks.properties(), ADMIN_TIMEOUT)) {
            Set<String> topics =
                    admin.listTopics().names().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            String journal = job.journal().replaySource();
            if (!topics.contains(journal)) {
                return Optional.of(
                        "the journal topic '"
                                + journal
                                + "' does not exist on "
                                + sinks.bootstrapServers());
            }
            for (String t : KafkaPreflight.createSinkTopics(admin, sinks, 0, ADMIN_TIMEOUT)) {
                OUT.println("created topic " + t);
            }
        }
        return Optional.empty();
    }

    private long time(String option, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException notMillis) {
            try {
                return Instant.parse(value).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new ParameterException(
                        spec.commandLine(),
                        option
                                + " takes an ISO-8601 instant (2026-12-01T00:00:00Z) or epoch"
                                + " milliseconds, not '"
                                + value
                                + "'");
            }
        }
    }
}
