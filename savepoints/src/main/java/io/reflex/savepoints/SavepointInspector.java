package io.reflex.savepoints;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.jobs.ReflexJob;
import io.reflex.jobs.cli.Cli;
import io.reflex.operators.agent.AgentKeyState;
import io.reflex.operators.agent.AgentMemory;
import io.reflex.operators.agent.AgentState;
import io.reflex.operators.detect.DetectorState;
import io.reflex.operators.detect.DetectorStates;
import io.reflex.operators.detect.KeyStats;
import io.reflex.operators.detect.KeyStatsSerializer;
import io.reflex.operators.detect.RecentEvent;
import io.reflex.operators.model.Json;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Reads the per-key state of a Reflex savepoint (or retained checkpoint) with Flink's State
 * Processor API and prints it as JSON lines, one per operator and key:
 *
 * <pre>
 * {"operator":"detector","key":"ACME","state":{...statistics, "recent":[...events...]},"recent":[]}
 * {"operator":"llm-agent","key":"ACME","pending":{...},"backlog":[...],"memory":{...}}
 * </pre>
 *
 * <p>A detector line's {@code state.recent} holds the recent events kept in the key's value; the
 * line's own {@code recent} holds those that earlier versions kept beside it (a list state, then a
 * ring of map-state slots), which the job moves into the value on the key's next event.
 *
 * <p>State written with a TTL is shown even when it has expired but was not yet cleaned up: the
 * inspector uses the job's state names and types, not its TTL durations, so what it prints is what
 * the savepoint holds.
 */
@Command(
        name = "reflex savepoint inspect",
        mixinStandardHelpOptions = true,
        versionProvider = Cli.Version.class,
        description =
                "Prints a savepoint's per-key state (detector statistics, agent memory, pending"
                        + " requests) as JSON lines.")
public final class SavepointInspector implements Callable<Integer> {
    @Parameters(
            paramLabel = "PATH",
            description = "the savepoint's (or retained checkpoint's) path")
    String path;

    @Option(names = "--key", paramLabel = "K", description = "only this key's records")
    String key;

    /** {@code PATH [--key K]}; exit codes as in {@link Cli}. */
    public static void main(String[] args) {
        System.exit(Cli.execute(new SavepointInspector(), args));
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int lines = inspect(path, key, out);
        System.err.println("reflex: " + lines + " state record(s) in " + path);
        return Cli.OK;
    }

    /** Prints every (or {@code key}'s) state record of the savepoint at {@code path}. */
    public static int inspect(String path, String key, PrintStream out) throws Exception {
        List<String> lines = read(path, key);
        lines.forEach(out::println);
        return lines.size();
    }

    /** The JSON lines of the savepoint at {@code path}, optionally only {@code key}'s. */
    public static List<String> read(String path, String key) throws Exception {
        Set<String> uids = operatorUidsIn(path);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        env.setParallelism(1);
        SavepointReader savepoint = SavepointReader.read(env, path);
        List<DataStream<String>> streams = new ArrayList<>();
        if (uids.contains(ReflexJob.DETECTOR_UID)) {
            streams.add(
                    savepoint.readKeyedState(
                            OperatorIdentifier.forUid(ReflexJob.DETECTOR_UID),
                            new DetectorReader(key)));
        }
        if (uids.contains(ReflexJob.AGENT_UID)) {
            streams.add(
                    savepoint.readKeyedState(
                            OperatorIdentifier.forUid(ReflexJob.AGENT_UID), new AgentReader(key)));
        }
        if (streams.isEmpty()) {
            return new ArrayList<>();
        }
        DataStream<String> all = streams.get(0);
        for (int i = 1; i < streams.size(); i++) {
            all = all.union(streams.get(i));
        }
        // executeAndCollect can lose the last batch when the local cluster shuts down right
        // after a short batch job; the inspector always runs locally, so a sink into this JVM
        // is exact.
        String run = UUID.randomUUID().toString();
        RESULTS.put(run, new ConcurrentLinkedQueue<>());
        try {
            all.sinkTo(new LocalListSink(run)).uid("inspect-results").name("Results");
            env.execute("reflex savepoint inspect");
            List<String> lines = new ArrayList<>(RESULTS.get(run));
            lines.sort(null);
            return lines;
        } finally {
            RESULTS.remove(run);
        }
    }

    private static final Map<String, Queue<String>> RESULTS = new ConcurrentHashMap<>();

    /**
     * What a reader emits for a key it leaves out: the State Processor API's input format stops
     * reading a split at the first key whose reader emits nothing (it hands on a null record).
     */
    private static final String SKIPPED = "";

    /** Hands each record to {@link #RESULTS} of this JVM: only for local execution. */
    private static final class LocalListSink implements Sink<String> {
        private final String run;

        LocalListSink(String run) {
            this.run = run;
        }

        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) {
            Queue<String> queue = RESULTS.get(run);
            return new SinkWriter<>() {
                @Override
                public void write(String element, Context ctx) {
                    if (!SKIPPED.equals(element)) {
                        queue.add(element);
                    }
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    /** The uids of Reflex's keyed operators that have state in the savepoint's metadata. */
    static Set<String> operatorUidsIn(String path) throws Exception {
        Path dir =
                Path.of(
                        path.startsWith("file:")
                                ? java.net.URI.create(path)
                                : Path.of(path).toUri());
        Path metadata = Files.isDirectory(dir) ? dir.resolve("_metadata") : dir;
        CheckpointMetadata m;
        try (var in = new java.io.DataInputStream(Files.newInputStream(metadata))) {
            m =
                    Checkpoints.loadCheckpointMetadata(
                            in, SavepointInspector.class.getClassLoader(), metadata.toString());
        }
        Set<OperatorID> ids =
                m.getOperatorStates().stream()
                        .filter(s -> s.getStateSize() > 0 || s.getNumberCollectedStates() > 0)
                        .map(OperatorState::getOperatorID)
                        .collect(Collectors.toSet());
        return Set.of(ReflexJob.DETECTOR_UID, ReflexJob.AGENT_UID).stream()
                .filter(uid -> ids.contains(OperatorIdentifier.forUid(uid).getOperatorId()))
                .collect(Collectors.toSet());
    }

    /** The job's descriptor name and type, with a TTL that shows expired entries too. */
    static <T> ValueStateDescriptor<T> descriptor(String name, Class<T> type, boolean ttl) {
        ValueStateDescriptor<T> d = new ValueStateDescriptor<>(name, TypeInformation.of(type));
        if (ttl) {
            d.enableTimeToLive(showExpired());
        }
        return d;
    }

    /** A TTL setting that reads entries whether or not they have expired. */
    static StateTtlConfig showExpired() {
        return StateTtlConfig.newBuilder(Duration.ofDays(365 * 100))
                .setStateVisibility(StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)
                .build();
    }

    /** The detector's rolling statistics and recent events per key. */
    static final class DetectorReader extends KeyedStateReaderFunction<String, String> {
        private final String only;
        private transient ValueState<KeyStats> stats;
        private transient ValueState<DetectorState> state;
        private transient ListState<RecentEvent> recent;
        private transient MapState<Integer, RecentEvent> recentSlots;

        DetectorReader(String only) {
            this.only = only;
        }

        @Override
        public void open(OpenContext context) {
            ValueStateDescriptor<KeyStats> k =
                    new ValueStateDescriptor<>(
                            DetectorStates.STATS_STATE_NAME, KeyStatsSerializer.INSTANCE);
            k.enableTimeToLive(showExpired());
            stats = getRuntimeContext().getState(k);
            state =
                    getRuntimeContext()
                            .getState(
                                    descriptor(
                                            DetectorStates.STATE_NAME, DetectorState.class, true));
            ListStateDescriptor<RecentEvent> r =
                    new ListStateDescriptor<>(
                            DetectorStates.RECENT_STATE_NAME,
                            TypeInformation.of(RecentEvent.class));
            r.enableTimeToLive(showExpired());
            recent = getRuntimeContext().getListState(r);
            MapStateDescriptor<Integer, RecentEvent> slots = DetectorStates.recentSlotsDescriptor();
            slots.enableTimeToLive(showExpired());
            recentSlots = getRuntimeContext().getMapState(slots);
        }

        @Override
        public void readKey(String key, Context ctx, Collector<String> out) throws Exception {
            // This version's statistics, or the 0.1 format's POJO for a key not seen since.
            KeyStats k = stats.value();
            DetectorState s = k == null ? state.value() : null;
            if (k == null && s == null || (only != null && !only.equals(key))) {
                out.collect(SKIPPED);
                return;
            }
            ObjectNode line = Json.MAPPER.createObjectNode();
            line.put("operator", ReflexJob.DETECTOR_UID);
            line.put("key", key);
            line.set("state", k != null ? k.toJson() : Json.MAPPER.valueToTree(s));
            List<RecentEvent> events = new ArrayList<>();
            Iterable<RecentEvent> stored = recent.get();
            if (stored != null) {
                stored.forEach(events::add);
            }
            events.addAll(DetectorStates.inWriteOrder(recentSlots.values()));
            line.set("recent", Json.MAPPER.valueToTree(events));
            out.collect(Json.MAPPER.writeValueAsString(line));
        }
    }

    /** The agent's pending request, backlog and memory per key. */
    static final class AgentReader extends KeyedStateReaderFunction<String, String> {
        private final String only;
        private transient ValueState<AgentKeyState> work;
        private transient ValueState<AgentMemory> memory;

        AgentReader(String only) {
            this.only = only;
        }

        @Override
        public void open(OpenContext context) {
            work =
                    getRuntimeContext()
                            .getState(
                                    descriptor(
                                            AgentState.KEY_STATE_NAME, AgentKeyState.class, false));
            memory =
                    getRuntimeContext()
                            .getState(
                                    descriptor(
                                            AgentState.MEMORY_STATE_NAME, AgentMemory.class, true));
        }

        @Override
        public void readKey(String key, Context ctx, Collector<String> out) throws Exception {
            AgentKeyState w = work.value();
            AgentMemory m = memory.value();
            if ((w == null && m == null) || (only != null && !only.equals(key))) {
                out.collect(SKIPPED);
                return;
            }
            ObjectNode line = Json.MAPPER.createObjectNode();
            line.put("operator", ReflexJob.AGENT_UID);
            line.put("key", key);
            line.set("pending", Json.MAPPER.valueToTree(w == null ? null : w.pending));
            line.set("backlog", Json.MAPPER.valueToTree(w == null ? List.of() : w.backlog));
            line.set("memory", Json.MAPPER.valueToTree(m));
            out.collect(Json.MAPPER.writeValueAsString(line));
        }
    }
}
