package io.reflex.cli;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;

/**
 * Collects Reflex's own metrics ({@code reflex.*}) from a local MiniCluster in this JVM, summed
 * over subtasks, for the launcher's status lines. Counters of finished tasks keep counting toward
 * the totals.
 */
public final class StatusReporter implements MetricReporter {
    private static final String SCOPE = ".reflex.";
    private static final Map<String, Metric> LIVE = new ConcurrentHashMap<>();
    private static final Map<String, Long> RETIRED = new ConcurrentHashMap<>();

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        String id = group.getMetricIdentifier(name);
        if (id.contains(SCOPE)) {
            LIVE.put(id, metric);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        String id = group.getMetricIdentifier(name);
        Metric gone = LIVE.remove(id);
        if (gone instanceof Counter c) {
            RETIRED.merge(shortName(id), c.getCount(), Long::sum);
        }
    }

    /** Forgets retired counts: a new run in the same JVM starts from zero. */
    static void reset() {
        RETIRED.clear();
    }

    /** The sum of every live and retired counter or numeric gauge called {@code name}. */
    public static long total(String name) {
        long sum = RETIRED.getOrDefault(name, 0L);
        for (Map.Entry<String, Metric> e : LIVE.entrySet()) {
            if (!shortName(e.getKey()).equals(name)) {
                continue;
            }
            Metric m = e.getValue();
            if (m instanceof Counter c) {
                sum += c.getCount();
            } else if (m instanceof Gauge<?> g && g.getValue() instanceof Number n) {
                sum += n.longValue();
            }
        }
        return sum;
    }

    /** {@code llm.requests} for {@code ...reflex.llm.requests}. */
    private static String shortName(String identifier) {
        return identifier.substring(identifier.lastIndexOf(SCOPE) + SCOPE.length());
    }
}
