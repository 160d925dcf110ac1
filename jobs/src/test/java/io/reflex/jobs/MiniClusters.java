package io.reflex.jobs;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/** The MiniCluster every ITCase of this module runs on: one TaskManager with two slots. */
final class MiniClusters {
    private MiniClusters() {}

    static MiniClusterExtension twoSlots() {
        return twoSlots(new Configuration());
    }

    /** The same, with {@code conf} for the cluster (a metric reporter, for example). */
    static MiniClusterExtension twoSlots(Configuration conf) {
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(2)
                        .setConfiguration(conf)
                        .build());
    }
}
