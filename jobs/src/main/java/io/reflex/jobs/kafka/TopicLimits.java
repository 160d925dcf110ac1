package io.reflex.jobs.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a broker accepts on one topic: the largest record batch, the window of record timestamps,
 * and whether records need a key (compacted topics). Read once when a sink opens, so that the sink
 * refuses a record itself instead of letting the broker fail the whole Kafka transaction.
 *
 * @param maxBatchBytes the topic's {@code max.message.bytes}
 * @param maxTimestampBehindMs {@code message.timestamp.before.max.ms}
 * @param maxTimestampAheadMs {@code message.timestamp.after.max.ms}
 * @param logAppendTime the broker stamps records itself ({@code message.timestamp.type})
 * @param compacted {@code cleanup.policy} includes {@code compact}: records need a key
 * @param retentionMs how long the broker keeps a record past its timestamp ({@code retention.ms}
 *     where {@code cleanup.policy} includes {@code delete}), or -1 for ever
 */
public record TopicLimits(
        int maxBatchBytes,
        long maxTimestampBehindMs,
        long maxTimestampAheadMs,
        boolean logAppendTime,
        boolean compacted,
        long retentionMs) {

    private static final Logger LOG = LoggerFactory.getLogger(TopicLimits.class);

    /**
     * Kafka 4's broker defaults, assumed when a topic's configuration cannot be read (for example
     * without the {@code DescribeConfigs} permission, or before the topic is created).
     */
    public static final TopicLimits BROKER_DEFAULTS =
            new TopicLimits(
                    1024 * 1024 + 12,
                    Long.MAX_VALUE,
                    TimeUnit.HOURS.toMillis(1),
                    false,
                    false,
                    TimeUnit.DAYS.toMillis(7));

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** The limits of each of {@code topics}; a topic that cannot be described gets the defaults. */
    public static Map<String, TopicLimits> read(
            String bootstrapServers, Map<String, String> clientProperties, List<String> topics) {
        java.util.HashMap<String, TopicLimits> out = new java.util.HashMap<>();
        try (Admin admin = KafkaPreflight.admin(bootstrapServers, clientProperties, TIMEOUT)) {
            for (String topic : topics) {
                out.put(topic, read(admin, topic));
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot read the sink topics' limits, assuming the broker defaults", e);
        }
        for (String topic : topics) {
            out.putIfAbsent(topic, BROKER_DEFAULTS);
        }
        return out;
    }

    private static TopicLimits read(Admin admin, String topic) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            Config c =
                    admin.describeConfigs(List.of(resource))
                            .values()
                            .get(resource)
                            .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            TopicLimits d = BROKER_DEFAULTS;
            String policy = value(c, TopicConfig.CLEANUP_POLICY_CONFIG, "delete");
            return new TopicLimits(
                    (int) number(c, TopicConfig.MAX_MESSAGE_BYTES_CONFIG, d.maxBatchBytes()),
                    number(
                            c,
                            TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
                            d.maxTimestampBehindMs()),
                    number(
                            c,
                            TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG,
                            d.maxTimestampAheadMs()),
                    "LogAppendTime".equals(value(c, TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "")),
                    policy.contains("compact"),
                    policy.contains("delete")
                            ? number(c, TopicConfig.RETENTION_MS_CONFIG, d.retentionMs())
                            : -1);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn(
                    "cannot read the limits of topic {} ({}), assuming the broker defaults",
                    topic,
                    e.toString());
            return BROKER_DEFAULTS;
        }
    }

    private static String value(Config c, String name, String fallback) {
        ConfigEntry e = c.get(name);
        return e == null || e.value() == null ? fallback : e.value();
    }

    private static long number(Config c, String name, long fallback) {
        try {
            return Long.parseLong(value(c, name, Long.toString(fallback)));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
