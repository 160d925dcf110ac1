package io.reflex.bench;

import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.View;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.metrics.reporter.Scheduled;

/**
 * RocksDB's own counters of a job run in this JVM: the bytes its keyed state backends read and
 * wrote through gets and puts, the bytes compaction wrote, and the time writes stalled, summed over
 * every stateful operator and subtask. A metric reporter, configured by {@link #enable}, keeps the
 * latest value of each of Flink's RocksDB statistics gauges ({@code
 * state.backend.rocksdb.metrics.*}); RocksDB counts them natively, so they are what the state
 * backend really did, not an estimate.
 *
 * <p>Turning RocksDB's statistics on costs some throughput, so the benchmarks count in a round of
 * their own, not in a timed one.
 */
final class RocksDbCounters {
    private RocksDbCounters() {}

    /**
     * The statistics counted: each turned on by a Flink option, reported as {@code rocksdb.<name>}.
     */
    enum Statistic {
        BYTES_WRITTEN("bytes-written", "bytes_written"),
        BYTES_READ("bytes-read", "bytes_read"),
        COMPACTION_BYTES_WRITTEN("compaction-write-bytes", "compact_write_bytes"),
        STALL_MICROS("stall-micros", "stall_micros");

        /** The suffix of its {@code state.backend.rocksdb.metrics.*} option. */
        final String option;

        /** Its metric's name after {@code rocksdb.}: RocksDB's ticker, lower case. */
        final String metric;

        Statistic(String option, String metric) {
            this.option = option;
            this.metric = metric;
        }

        static Statistic ofMetric(String name) {
            for (Statistic s : values()) {
                if (name.equals("rocksdb." + s.metric)) {
                    return s;
                }
            }
            return null;
        }
    }

    /** A registered gauge and the statistic it reports. */
    private record Tracked(Statistic statistic, Gauge<?> gauge) {}

    /** Gauges still registered, by metric identifier. */
    private static final Map<String, Tracked> LIVE = new ConcurrentHashMap<>();

    /** The latest value read from each gauge, by statistic and metric identifier. */
    private static final Map<Statistic, Map<String, Long>> LATEST = new ConcurrentHashMap<>();

    /** Turns on RocksDB's statistics and this reporter in {@code conf}. */
    static Configuration enable(Configuration conf) {
        for (Statistic s : Statistic.values()) {
            conf.setString("state.backend.rocksdb.metrics." + s.option, "true");
        }
        conf.setString("metrics.reporter.reflex-rocksdb.factory.class", Factory.class.getName());
        conf.setString("metrics.reporter.reflex-rocksdb.interval", "50 ms");
        return conf;
    }

    /** Forgets every value: before a run. */
    static void reset() {
        LIVE.clear();
        LATEST.clear();
    }

    /**
     * Each statistic's total over the operators and subtasks seen since {@link #reset}: the last
     * value read from each gauge (read again as its job ends, when RocksDB still answers).
     */
    static Map<Statistic, Long> totals() {
        LIVE.forEach(RocksDbCounters::read);
        Map<Statistic, Long> totals = new EnumMap<>(Statistic.class);
        for (Statistic s : Statistic.values()) {
            long sum = 0;
            for (long v : LATEST.getOrDefault(s, Map.of()).values()) {
                sum += v;
            }
            totals.put(s, sum);
        }
        return totals;
    }

    private static void read(String id, Tracked t) {
        try {
            if (t.gauge() instanceof View view) {
                view.update(); // Flink refreshes these views every 5 s only: read RocksDB now
            }
            if (t.gauge().getValue() instanceof Number n) {
                LATEST.computeIfAbsent(t.statistic(), k -> new ConcurrentHashMap<>())
                        .merge(id, n.longValue(), Math::max);
            }
        } catch (RuntimeException e) {
            // RocksDB closed under the gauge: the value read before stands.
        }
    }

    /** The reporter: registers RocksDB's statistics gauges and reads them every interval. */
    public static final class Reporter implements MetricReporter, Scheduled {
        @Override
        public void open(MetricConfig config) {}

        @Override
        public void close() {}

        @Override
        public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
            Statistic statistic = Statistic.ofMetric(name);
            if (statistic != null && metric instanceof Gauge<?> gauge) {
                LIVE.put(group.getMetricIdentifier(name), new Tracked(statistic, gauge));
            }
        }

        @Override
        public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
            String id = group.getMetricIdentifier(name);
            Tracked t = LIVE.remove(id);
            if (t != null) {
                read(id, t);
            }
        }

        @Override
        public void report() {
            LIVE.forEach(RocksDbCounters::read);
        }
    }

    /** Creates the {@link Reporter}; named in the configuration by {@link #enable}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new Reporter();
        }
    }
}
