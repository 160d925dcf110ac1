package io.reflex.cli;

import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/** Creates the {@link StatusReporter} for the local launcher's MiniCluster. */
public final class StatusReporterFactory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        return new StatusReporter();
    }
}
