package io.reflex.jobs;

import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileException;
import io.reflex.jobs.config.JobFileOptions;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.jobs.kafka.KafkaAnswerJournal;
import io.reflex.jobs.kafka.KafkaConnectors;
import io.reflex.operators.agent.AgentOutputs;
import io.reflex.operators.agent.LlmAgentOperatorFactory;
import io.reflex.operators.decide.LlmAsyncFunction;
import io.reflex.operators.decide.LlmOutcome;
import io.reflex.operators.decide.OutcomeRouter;
import io.reflex.operators.decode.Decoded;
import io.reflex.operators.decode.DecodedSplitter;
import io.reflex.operators.detect.Detector;
import io.reflex.operators.detect.DetectorOperator;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Event;
import io.reflex.operators.model.KeyedJson;
import io.reflex.operators.model.Trigger;
import io.reflex.operators.state.StateChangelog;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.OutputTag;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The reference job. {@link #main} reads a job file, builds the real Kafka sources and sinks and
 * calls {@link #defineWorkflow}; tests call {@link #defineWorkflow} with sources and sinks of their
 * own.
 *
 * <pre>
 * sources ─► decode ─► keyBy(key) ─► detect ─► LLM agent (keyed) ─► actions sink (routed by type)
 *              │                        │             ├──────────► audit sink (optional)
 *              │                        └─ state ─────┴─ state ──► state changelog ─► state sink
 *              └──────── dead letters ───────────────────┴───────► dead-letter sink
 * </pre>
 */
public final class ReflexJob {
    /** Operator uids. Never change one: a savepoint maps state to operators by uid. */
    public static final String DECODE_UID = "decode";

    public static final String DETECTOR_UID = "detector";
    public static final String LLM_UID = "llm";
    public static final String AGENT_UID = "llm-agent";
    public static final String ROUTE_UID = "route-outcomes";
    public static final String STATE_UID = "state-changelog";

    /** The side output that collects dead letters from every stage. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

    /** The agent's audit records. */
    public static final OutputTag<KeyedJson> AUDIT = AgentOutputs.tag("audit");

    /** The detector's and the agent's halves of each key's state record. */
    public static final OutputTag<KeyedJson> DETECTOR_STATE = AgentOutputs.tag("state-detector");

    public static final OutputTag<KeyedJson> DECISION_STATE = AgentOutputs.tag("state-decisions");

    private ReflexJob() {}

    /**
     * Where the pipeline writes: actions and dead letters always; the audit log and the state
     * changelog when the job file turns them on (null otherwise).
     */
    public record Outputs(
            Sink<Action> actions,
            Sink<DeadLetter> deadLetters,
            Sink<KeyedJson> audit,
            Sink<KeyedJson> state) {

        /** The job file's Kafka sinks. */
        public static Outputs kafka(JobFile job) {
            return new Outputs(
                    KafkaConnectors.actionsSink(job.name(), job.sinks()),
                    KafkaConnectors.deadLetterSink(job.name(), job.sinks()),
                    KafkaConnectors.auditSink(job.name(), job.sinks()),
                    KafkaConnectors.stateSink(job.name(), job.sinks()));
        }
    }

    /**
     * Runs the job file given as the first argument (or after {@code --job-file}); {@code
     * --parallelism N} overrides the file's {@code job.parallelism}.
     *
     * <p>Never calls {@code System.exit}: in application mode this runs inside the JobManager. A
     * bad argument or job file throws {@link JobFileException} with every problem listed; the CLI
     * maps it to exit code 2.
     */
    public static void main(String[] args) throws Exception {
        Arguments arguments = Arguments.parse(args);
        JobFile job = JobFileParser.withSystemEnv().parse(arguments.jobFile());
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(configuration(job));
        build(env, job, arguments.parallelism);
        env.execute(jobName(job));
    }

    /**
     * The keyed agent of {@code job}: with the response journal on the sinks' brokers unless the
     * job file turns it off.
     */
    static LlmAgentOperatorFactory agentFactory(JobFile job, Outputs outputs) {
        LlmAgentOperatorFactory f =
                new LlmAgentOperatorFactory(
                        job.name(), job.llm(), job.agent(), job.catalogue(), DEAD_LETTERS);
        f.withOutputs(
                new AgentOutputs(
                        outputs.audit() != null ? AUDIT : null,
                        job.sinks().auditIncludePrompt(),
                        outputs.state() != null ? DECISION_STATE : null));
        if (job.budget().any()) {
            f.withBudget(job.budget());
        }
        if (job.journal().enabled()) {
            f.withJournal(job.journal(), KafkaAnswerJournal.factory(job.sinks(), job.journal()));
        }
        return f;
    }

    /** The name the job runs under on a cluster: {@code reflex: } and the job file's name. */
    public static String jobName(JobFile job) {
        return "reflex: " + job.name();
    }

    /** Adds the job file's pipeline, with its real Kafka sources and sinks, to {@code env}. */
    public static void build(StreamExecutionEnvironment env, JobFile job) {
        build(env, job, 0);
    }

    /**
     * As {@link #build(StreamExecutionEnvironment, JobFile)}, with {@code parallelism} (when
     * positive) in place of the job file's.
     */
    public static void build(StreamExecutionEnvironment env, JobFile job, int parallelism) {
        env.setMaxParallelism(job.maxParallelism());
        if (parallelism > 0) {
            env.setParallelism(parallelism);
        } else if (job.parallelism() > 0) {
            env.setParallelism(job.parallelism());
        }
        defineWorkflow(env, job, KafkaConnectors.sources(env, job), Outputs.kafka(job));
    }

    /** RocksDB's compression per level: none for level 0, ZSTD for every level below. */
    public static final String ROCKSDB_COMPRESSION = "NO_COMPRESSION;ZSTD_COMPRESSION";

    /**
     * The job's Flink settings: RocksDB with {@link #ROCKSDB_COMPRESSION} and incremental,
     * exactly-once checkpoints, and the job file's buffer timeout.
     *
     * <p>Level 0 holds the files that RocksDB writes when it flushes a memtable, and Flink's
     * checkpoint flushes on the task thread: left uncompressed, that flush is the shortest pause
     * (p50 53 ms per 1 s checkpoint in the latency benchmark, against 99 with RocksDB's default
     * Snappy and 117 with ZSTD at every level, in the same run). Compaction moves the data into the
     * lower levels on RocksDB's background threads, and ZSTD packs a key's state, mostly its recent
     * events' JSON payloads, into about half of Snappy's bytes (the state-size benchmark).
     */
    public static Configuration configuration(JobFile job) {
        Configuration conf = new Configuration();
        conf.setString("state.backend.type", "rocksdb");
        conf.setString(RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL.key(), ROCKSDB_COMPRESSION);
        conf.setString("execution.checkpointing.incremental", "true");
        conf.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        conf.setString(
                "execution.checkpointing.interval", job.checkpointInterval().toMillis() + " ms");
        conf.setString("execution.buffer-timeout.interval", job.bufferTimeout().toMillis() + " ms");
        return conf;
    }

    /** The pipeline between the given sources and the actions and dead-letter sinks. */
    public static void defineWorkflow(
            StreamExecutionEnvironment env,
            JobFile job,
            DataStream<Decoded> input,
            Sink<Action> actions,
            Sink<DeadLetter> deadLetters) {
        defineWorkflow(env, job, input, new Outputs(actions, deadLetters, null, null));
    }

    /**
     * The pipeline between the given sources and sinks. The audit and state sinks, when given, need
     * the agent operator (the job file's parser refuses them with the stateless one).
     */
    public static void defineWorkflow(
            StreamExecutionEnvironment env, JobFile job, DataStream<Decoded> input, Outputs sinks) {
        boolean stateOn = sinks.state() != null;
        SingleOutputStreamOperator<Event> events =
                input.process(new DecodedSplitter(DEAD_LETTERS)).uid(DECODE_UID).name("Decode");
        SingleOutputStreamOperator<Trigger> triggers =
                events.keyBy(Event::key)
                        .transform(
                                "Detect",
                                TypeInformation.of(Trigger.class),
                                new DetectorOperator(
                                        new Detector(job.detector()),
                                        stateOn ? DETECTOR_STATE : null,
                                        job.sinks().stateInterval()))
                        .uid(DETECTOR_UID);
        SingleOutputStreamOperator<Action> routed;
        if (JobFileOptions.STATELESS.equals(job.llmOperator())) {
            SingleOutputStreamOperator<LlmOutcome> outcomes =
                    LlmAsyncFunction.apply(triggers, job.name(), job.llm(), job.catalogue())
                            .uid(LLM_UID)
                            .name("LLM");
            routed =
                    outcomes.process(new OutcomeRouter(DEAD_LETTERS))
                            .uid(ROUTE_UID)
                            .name("Route outcomes");
        } else {
            // Chained to the detector on the same keys: no second shuffle.
            routed =
                    DataStreamUtils.reinterpretAsKeyedStream(triggers, Trigger::key)
                            .transform(
                                    "LLM agent",
                                    TypeInformation.of(Action.class),
                                    agentFactory(job, sinks))
                            .uid(AGENT_UID);
            if (sinks.audit() != null) {
                routed.getSideOutput(AUDIT)
                        .sinkTo(sinks.audit())
                        .uid(KafkaConnectors.AUDIT_SINK_UID)
                        .name("Audit sink");
            }
            if (stateOn) {
                triggers.getSideOutput(DETECTOR_STATE)
                        .keyBy(KeyedJson::key)
                        .connect(routed.getSideOutput(DECISION_STATE).keyBy(KeyedJson::key))
                        .process(new StateChangelog(job.detector().stateTtl()))
                        .uid(STATE_UID)
                        .name("State changelog")
                        .sinkTo(sinks.state())
                        .uid(KafkaConnectors.STATE_SINK_UID)
                        .name("State sink");
            }
        }
        routed.sinkTo(sinks.actions()).uid(KafkaConnectors.ACTIONS_SINK_UID).name("Actions sink");
        events.getSideOutput(DEAD_LETTERS)
                .union(routed.getSideOutput(DEAD_LETTERS))
                .sinkTo(sinks.deadLetters())
                .uid(KafkaConnectors.DEAD_LETTER_SINK_UID)
                .name("Dead-letter sink");
    }

    /**
     * The job's arguments: {@code JOBFILE} or {@code --job-file JOBFILE}, and {@code
     * --parallelism}.
     */
    @Command(name = "ReflexJob")
    static final class Arguments {
        @Parameters(arity = "0..1", paramLabel = "JOBFILE")
        Path file;

        @Option(names = "--job-file", paramLabel = "JOBFILE")
        Path jobFile;

        @Option(names = "--parallelism", paramLabel = "N")
        int parallelism;

        /**
         * Parses {@code args}; an unknown option, a missing or doubled job file or a bad number is
         * a {@link JobFileException} (the job's main may run inside a JobManager: it never exits).
         */
        static Arguments parse(String[] args) throws JobFileException {
            Arguments a = new Arguments();
            try {
                new CommandLine(a).parseArgs(args);
            } catch (CommandLine.ParameterException e) {
                throw new JobFileException("the arguments", List.of(e.getMessage() + USAGE));
            }
            if ((a.file == null) == (a.jobFile == null)) {
                throw new JobFileException(
                        "the arguments", List.of("one job file is needed" + USAGE));
            }
            return a;
        }

        private static final String USAGE =
                " (usage: ReflexJob JOBFILE [--parallelism N], or --job-file JOBFILE)";

        Path jobFile() {
            return file != null ? file : jobFile;
        }
    }
}
