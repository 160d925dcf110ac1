package io.reflex.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.jobs.config.JobFile;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.StubLlmServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * TaskManager heap and RocksDB size on disk per 100,000 keys of state, for the Reflex pipeline
 * (detector statistics, recent-event window, seen ids, agent memory) and for the plain job (one
 * {@code Long} per key). Each job starts on an empty topic; once it runs, the benchmark takes its
 * baseline, writes the trades, and measures again when a checkpoint has completed that includes
 * every trade: the Kafka source commits its offsets on checkpoint completion, so the committed
 * offsets reaching the end of the topic say so. The growth is the state's.
 */
final class StateSizeBench {
    private StateSizeBench() {}

    static BenchReport run(BenchContext ctx) throws Exception {
        int keys = (int) ctx.size(200_000, 2_000);
        int perKey = 3;
        double share = 0.001;
        BenchReport report =
                new BenchReport(
                        "state-size",
                        "heap and RocksDB size on disk per 100,000 keys",
                        "Each job starts on an empty topic and, once running, has its baseline"
                                + " taken; then "
                                + perKey
                                + " trades per key arrive for "
                                + keys
                                + " keys. When a checkpoint that includes every trade has"
                                + " completed, the benchmark takes the growth of the JVM's heap"
                                + " in use after a full GC (the MiniCluster's TaskManager runs in"
                                + " this JVM), the growth of RocksDB's working directory, and the"
                                + " size of the checkpoint directory, and scales them to 100,000"
                                + " keys. Reflex keeps per key one value with the detector's"
                                + " statistics and its latest event-id hashes (for dedupe), a ring"
                                + " of recent events, and the agent's memory for keys that had a"
                                + " decision; the plain job keeps one Long.");
        report.param("keys", keys)
                .param("trades_per_key", perKey)
                .param("significant_share", share)
                .param("parallelism", BenchContext.PARALLELISM)
                .param(
                        "state_backend",
                        "rocksdb, level 0 uncompressed and ZSTD below (the job's setting),"
                                + " incremental checkpoints")
                .param(
                        "detector_defaults",
                        "context-events 10, state-ttl 1d, dedupe-window 64, dedupe-ttl 1h");
        EmbeddedKafka kafka = ctx.kafka();
        Map<String, double[]> slopes = new LinkedHashMap<>();
        try (StubLlmServer stub = StubLlmServer.start(0, StubLlmServer.Settings.healthy(), 9)) {
            for (String variant : List.of("reflex", "plain-flink", ZSTD_EVERYWHERE)) {
                Sample d = sample(ctx, kafka, stub, variant, keys, perKey, share);
                double per = 100_000.0 / keys;
                double heap = d.heapMb * per;
                double disk = d.rocksDbMb * per;
                double checkpoint = d.checkpointMb * per;
                double savepoint = d.savepointMb * per;
                ObjectNode r = report.result(variant);
                r.put("keys", keys);
                r.put("heap_mb_per_100k_keys", BenchReport.round(heap, 2));
                r.put("rocksdb_disk_mb_per_100k_keys", BenchReport.round(disk, 2));
                r.put("checkpoint_mb_per_100k_keys", BenchReport.round(checkpoint, 2));
                r.put("heap_growth_mb", BenchReport.round(d.heapMb, 1));
                r.put("rocksdb_growth_mb", BenchReport.round(d.rocksDbMb, 2));
                r.put("checkpoint_mb", BenchReport.round(d.checkpointMb, 2));
                r.put("canonical_savepoint_mb_per_100k_keys", BenchReport.round(savepoint, 2));
                r.put(
                        "canonical_savepoint_bytes_per_key",
                        BenchReport.round(bytesPerKey(savepoint), 1));
                slopes.put(variant, new double[] {heap, disk, checkpoint, savepoint});
                System.out.printf(
                        "  %-12s per 100k keys: heap %.1f MB, RocksDB %.2f MB on disk,"
                                + " checkpoint %.2f MB, canonical savepoint %.2f MB%n",
                        variant, heap, disk, checkpoint, savepoint);
            }
        }
        double[] reflex = slopes.get("reflex");
        double[] plain = slopes.get("plain-flink");
        double[] compacted = slopes.get(ZSTD_EVERYWHERE);
        report.ratio(
                "reflex / plain-flink, RocksDB on disk",
                reflex[1] / plain[1],
                "bytes per key of state");
        report.ratio(
                "reflex / plain-flink, checkpoint",
                reflex[2] / plain[2],
                "bytes per key in a checkpoint");
        report.ratio(
                "reflex live state bytes per key (canonical savepoint)",
                bytesPerKey(reflex[3]),
                "each live entry once, as Flink serializes it, uncompressed");
        report.ratio(
                "plain-flink live state bytes per key (canonical savepoint)",
                bytesPerKey(plain[3]),
                "each live entry once, as Flink serializes it, uncompressed");
        double bytesPerKey = bytesPerKey(reflex[1]);
        report.ratio(
                "reflex RocksDB bytes per key",
                bytesPerKey,
                "on disk, after " + perKey + " trades per key");
        double compactedPerKey = bytesPerKey(compacted[1]);
        report.ratio(
                "reflex RocksDB bytes per key, ZSTD at every level",
                compactedPerKey,
                "on disk, as the data takes once compacted below level 0");
        // #12's target: half of the 280 bytes per key measured before it.
        report.target("reflex RocksDB bytes per key <= 140", 140, bytesPerKey, false);
        report.target(
                "reflex RocksDB bytes per key once compacted <= 140", 140, compactedPerKey, false);
        report.note(
                "Keyed state lives in RocksDB, off the Java heap, so heap per key is close to"
                        + " zero for both jobs; the heap figure is the growth of heap in use after a"
                        + " full GC and moves by a few MB between runs (the broker and the stub"
                        + " share the JVM).");
        report.note(
                "Most of Reflex's bytes per key are the recent events (up to context-events,"
                        + " each with its event's payload), kept in the key's one value since"
                        + " KeyStats format 4; the value also holds 3 rules' statistics and 3 id"
                        + " hashes here. All of it is bounded by the detector's settings.");
        report.note(
                "On disk, RocksDB holds every version of a value written since its last"
                        + " compaction: a key written three times (once per trade, as the trades"
                        + " of 200,000 keys come key after key and the statistics cache evicts"
                        + " between them) is there up to three times until compaction drops the"
                        + " older ones. The canonical savepoint, taken when the job stops, holds"
                        + " each live entry once: it is the state's own size.");
        report.note(
                "The job writes RocksDB's level-0 files (those a flush writes, which is what"
                        + " a checkpoint does) uncompressed, to keep the checkpoint's pause short,"
                        + " and ZSTD below (RocksDB's default is Snappy everywhere: about 280 bytes"
                        + " per key here). Right after loading, part of the data is still in level"
                        + " 0; the third row writes level 0 with ZSTD too, which is what the data"
                        + " takes once compaction has moved it down. The figures move by about 15%"
                        + " between runs with what RocksDB has flushed and compacted when the"
                        + " checkpoint completes.");
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put(
                "reflex",
                List.of(
                        BenchReport.round(reflex[1], 2),
                        BenchReport.round(reflex[2], 2),
                        BenchReport.round(Math.max(reflex[0], 0), 2)));
        series.put(
                "plain flink",
                List.of(
                        BenchReport.round(plain[1], 2),
                        BenchReport.round(plain[2], 2),
                        BenchReport.round(Math.max(plain[0], 0), 2)));
        report.chart(
                "state per 100,000 keys",
                "MB per 100,000 keys",
                List.of("RocksDB on disk", "checkpoint", "heap"),
                series,
                false);
        return report;
    }

    private static double bytesPerKey(double mbPer100kKeys) {
        return mbPer100kKeys * 1024 * 1024 / 100_000;
    }

    /** Reflex with ZSTD at level 0 too: the size of its state once compacted. */
    private static final String ZSTD_EVERYWHERE = "reflex, ZSTD at every level";

    /**
     * One job's growth: heap, RocksDB's working directory and the checkpoint directory when a
     * checkpoint holds every trade, then the canonical savepoint it stops with.
     */
    private record Sample(
            double heapMb, double rocksDbMb, double checkpointMb, double savepointMb) {}

    private static Sample sample(
            BenchContext ctx,
            EmbeddedKafka kafka,
            StubLlmServer stub,
            String variant,
            int keys,
            int perKey,
            double share)
            throws Exception {
        BenchJobs.Topics topics = BenchJobs.Topics.create(kafka, "state");
        JobFile job =
                BenchJobs.jobFile(
                        "state-" + variant.replaceAll("[^A-Za-z0-9._-]+", "-") + "-" + keys,
                        kafka,
                        topics,
                        stub.baseUrl(),
                        false,
                        "at-least-once",
                        ctx.smoke() ? "300ms" : "2s",
                        "",
                        "");
        Path checkpoints = ctx.scratch("checkpoints");
        Path rocksdb = ctx.scratch("rocksdb");
        Configuration extra = new Configuration();
        extra.setString("execution.checkpointing.dir", checkpoints.toUri().toString());
        extra.setString("state.backend.rocksdb.localdir", rocksdb.toString());
        extra.setString("execution.checkpointing.num-retained", "1");
        if (variant.equals(ZSTD_EVERYWHERE)) {
            extra.setString(
                    RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL.key(), "ZSTD_COMPRESSION");
        }
        StreamExecutionEnvironment env = ctx.env(BenchJobs.configuration(job, extra));
        String probe = job.name() + "-" + System.nanoTime();
        if (!variant.equals("plain-flink")) {
            BenchJobs.reflex(env, job, probe);
        } else {
            BenchJobs.plain(env, job, probe);
        }
        JobClient client = env.executeAsync(job.name());
        try {
            waitRunning(client);
            // The job runs on an empty topic: what it holds now is not state.
            double heapBefore = heapAfterGcMb();
            double diskBefore = sizeMb(rocksdb, true);
            BenchEvents.produceEvenly(
                    kafka.bootstrapServers(), topics.events(), keys, perKey, share, 5);
            waitForCommittedEnd(
                    kafka, client, job.sources().get(0).groupId(), topics.events(), keys);
            double heap = heapAfterGcMb() - heapBefore;
            double disk = sizeMb(rocksdb, true) - diskBefore;
            double checkpoint = sizeMb(checkpoints, false);
            // A canonical savepoint holds each live entry once, as Flink serializes it (key,
            // value, TTL timestamp), uncompressed: the state's own size, whatever RocksDB has
            // compacted by then.
            Path savepoints = ctx.scratch("savepoints");
            client.stopWithSavepoint(
                            false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(2, TimeUnit.MINUTES);
            Sample s = new Sample(heap, disk, checkpoint, sizeMb(savepoints, false));
            System.out.printf(
                    "    %-12s %7d keys: heap %+.1f MB, RocksDB %+.2f MB, checkpoint %.2f MB,"
                            + " canonical savepoint %.2f MB%n",
                    variant, keys, s.heapMb, s.rocksDbMb, s.checkpointMb, s.savepointMb);
            return s;
        } finally {
            cancelUnlessEnded(client);
            BenchJobs.Probe.remove(probe);
            waitTerminal(client);
        }
    }

    /** Cancels the job unless it has ended (stopped with its savepoint, or failed). */
    private static void cancelUnlessEnded(JobClient client) throws Exception {
        if (!ended(client)) {
            client.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** Whether the job has ended: its status is terminal, or its MiniCluster shut down with it. */
    private static boolean ended(JobClient client) {
        try {
            return client.getJobStatus().get().isTerminalState();
        } catch (Exception e) {
            return true;
        }
    }

    /** Waits until the job's consumer group has committed the end of every partition. */
    private static void waitForCommittedEnd(
            EmbeddedKafka kafka, JobClient client, String group, String topic, int keys)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
            for (int p = 0; p < BenchContext.PARALLELISM; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end =
                    admin.listOffsets(latest).all().get();
            while (true) {
                JobStatus status = client.getJobStatus().get();
                if (status.isTerminalState()) {
                    throw new IllegalStateException("the job ended early: " + status);
                }
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                boolean done = true;
                for (var e : end.entrySet()) {
                    OffsetAndMetadata c = committed.get(e.getKey());
                    if (c == null || c.offset() < e.getValue().offset()) {
                        done = false;
                    }
                }
                if (done) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "the job did not commit the end of " + topic + " in 5 minutes");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }

    private static void waitRunning(JobClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (client.getJobStatus().get() != JobStatus.RUNNING) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the job did not start within 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        // Let the sources open and RocksDB create its instances before the baseline is taken.
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < settle) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static void waitTerminal(JobClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !ended(client)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    private static double heapAfterGcMb() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
    }

    /**
     * Bytes of the regular files under {@code dir}, in MB; in RocksDB's working directory, without
     * its local checkpoint directories ({@code chk-N}: hard links to the same files while a
     * checkpoint uploads). Files that a compaction or a finished checkpoint deletes meanwhile are
     * skipped.
     */
    private static double sizeMb(Path dir, boolean rocksDbWorkingDir) throws IOException {
        long[] bytes = {0};
        Files.walkFileTree(
                dir,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                        return rocksDbWorkingDir && d.getFileName().toString().startsWith("chk-")
                                ? FileVisitResult.SKIP_SUBTREE
                                : FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                        if (a.isRegularFile()) {
                            bytes[0] += a.size();
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path f, IOException e) {
                        return FileVisitResult.CONTINUE;
                    }
                });
        return bytes[0] / (1024.0 * 1024.0);
    }
}
