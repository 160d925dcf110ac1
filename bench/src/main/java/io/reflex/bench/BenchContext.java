package io.reflex.bench;

import io.reflex.sandbox.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * What a benchmark run shares: where results go, whether this is a tiny smoke run, the in-process
 * Kafka broker (started on first use, stopped by {@link #close}) and a scratch directory for
 * checkpoints and RocksDB files, deleted by {@link #close}.
 */
public final class BenchContext implements AutoCloseable {
    /** Parallelism of every Flink job in the benchmarks: one subtask per core of this machine. */
    public static final int PARALLELISM = 2;

    private final Path resultsDir;
    private final boolean smoke;
    private final Path scratch;
    private EmbeddedKafka kafka;

    public BenchContext(Path resultsDir, boolean smoke) throws Exception {
        this.resultsDir = resultsDir;
        this.smoke = smoke;
        this.scratch = Files.createTempDirectory("reflex-bench-");
    }

    public Path resultsDir() {
        return resultsDir;
    }

    /** True for the harness check in the build: every size is tiny and figures mean nothing. */
    public boolean smoke() {
        return smoke;
    }

    /** {@code full} normally, {@code tiny} in a smoke run. */
    public long size(long full, long tiny) {
        return smoke ? tiny : full;
    }

    /** The in-process broker, started on first use. */
    public synchronized EmbeddedKafka kafka() throws Exception {
        if (kafka == null) {
            kafka = EmbeddedKafka.start();
        }
        return kafka;
    }

    /** A fresh directory under the run's scratch directory. */
    public Path scratch(String name) throws Exception {
        return Files.createDirectories(scratch.resolve(name + "-" + System.nanoTime()));
    }

    /**
     * A local Flink environment at {@link #PARALLELISM} with the given settings, checkpointing to
     * files in the scratch directory unless the settings name a directory. Each {@code execute}
     * starts and stops its own MiniCluster in this JVM.
     */
    public StreamExecutionEnvironment env(Configuration settings) throws Exception {
        Configuration conf = new Configuration();
        // Without a directory Flink keeps checkpoints in the JobManager's memory, which refuses
        // state above 5 MB.
        conf.setString("execution.checkpointing.storage", "filesystem");
        conf.setString("execution.checkpointing.dir", scratch("checkpoints").toUri().toString());
        conf.setString("rest.bind-address", "127.0.0.1");
        conf.setString("rest.address", "127.0.0.1");
        conf.setString("taskmanager.host", "127.0.0.1");
        conf.addAll(settings);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(PARALLELISM, conf);
        return env;
    }

    @Override
    public void close() throws Exception {
        try {
            if (kafka != null) {
                kafka.close();
                kafka = null;
            }
        } finally {
            try (Stream<Path> files = Files.walk(scratch)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
