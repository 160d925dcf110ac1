package io.reflex.bench;

import java.util.LinkedHashMap;
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

    /** The statistics counted, by the suffix of their metric names. */
    static final String BYTES_WRITTEN = "bytes_written";

    static final String BYTES_READ = "bytes_read";
    static final String COMPACTION_BYTES_WRITTEN = "compact_write_bytes";
    static final String STALL_MICROS = "stall_micros";

    /** Gauges still registered, by metric identifier. */
    private static final Map<String, Gauge<?>> LIVE = new ConcurrentHashMap<>();

    /** The latest value read from each gauge, by metric identifier. */
    private static final Map<String, Long> LATEST = new ConcurrentHashMap<>();

    /** Turns on RocksDB's statistics and this reporter in {@code conf}. */
    static Configuration enable(Configuration conf) {
        for (String option :
                new String[] {
                    "bytes-written", "bytes-read", "compaction-write-bytes", "stall-micros"
                }) {
            conf.setString("state.backend.rocksdb.metrics." + option, "true");
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
    static Map<String, Long> totals() {
        poll();
        Map<String, Long> totals = new LinkedHashMap<>();
        for (String statistic :
                new String[] {BYTES_WRITTEN, BYTES_READ, COMPACTION_BYTES_WRITTEN, STALL_MICROS}) {
            long sum = 0;
            for (Map.Entry<String, Long> e : LATEST.entrySet()) {
                // The identifier's last part is the name, "rocksdb.<statistic>", with its dot
                // replaced by the reporter's delimiter filter.
                String id = e.getKey();
                int at = id.length() - statistic.length() - "rocksdb.".length();
                if (id.endsWith(statistic) && at >= 0 && id.startsWith("rocksdb", at)) {
                    sum += e.getValue();
                }
            }
            totals.put(statistic, sum);
        }
        return totals;
    }

    private static void poll() {
        LIVE.forEach(RocksDbCounters::read);
    }

    private static void read(String id, Gauge<?> gauge) {
        try {
            if (gauge instanceof View view) {
                view.update(); // Flink refreshes these views every 5 s only: read RocksDB now
            }
            if (gauge.getValue() instanceof Number n
                    && n.longValue() >= LATEST.getOrDefault(id, 0L)) {
                LATEST.put(id, n.longValue());
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
            if (name.startsWith("rocksdb.") && metric instanceof Gauge<?> gauge) {
                LIVE.put(group.getMetricIdentifier(name), gauge);
            }
        }

        @Override
        public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
            String id = group.getMetricIdentifier(name);
            Gauge<?> gauge = LIVE.remove(id);
            if (gauge != null) {
                read(id, gauge);
            }
        }

        @Override
        public void report() {
            poll();
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
