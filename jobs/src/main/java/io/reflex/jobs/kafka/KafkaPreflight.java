package io.reflex.jobs.kafka;

import io.reflex.jobs.config.JobFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Checks, before a job starts, that the Kafka topics it names are there: every source topic exists,
 * and every sink topic exists or the broker creates topics on first use. A job that starts without
 * them restarts forever while its submission reports "running", so {@code reflex run} and {@code
 * reflex submit} refuse it with every missing topic listed.
 */
public final class KafkaPreflight {
    private KafkaPreflight() {}

    /** Every problem found, each naming the job-file key it comes from; empty when all is well. */
    public static List<String> problems(JobFile job, Duration timeout) {
        return problems(job, timeout, Set.of());
    }

    /**
     * The same, without asking the brokers in {@code unreachable} (known to be out of reach, and
     * said so by the caller): neither their wait nor their problem is repeated.
     */
    public static List<String> problems(JobFile job, Duration timeout, Set<String> unreachable) {
        List<String> problems = new ArrayList<>();
        List<JobFile.KafkaSourceSpec> sources = job.sources();
        for (int i = 0; i < sources.size(); i++) {
            JobFile.KafkaSourceSpec s = sources.get(i);
            if (unreachable.contains(s.bootstrapServers())) {
                continue;
            }
            String at = "sources[" + i + "] (" + s.name() + ")";
            try (Admin admin = admin(s.bootstrapServers(), s.properties(), timeout)) {
                Set<String> existing = topics(admin, timeout);
                for (String topic : s.topics()) {
                    if (!existing.contains(topic)) {
                        problems.add(
                                at
                                        + ".topics: topic '"
                                        + topic
                                        + "' does not exist on "
                                        + s.bootstrapServers());
                    }
                }
            } catch (Exception e) {
                problems.add(failed(at, s.bootstrapServers(), e));
            }
        }
        JobFile.SinkSpec sinks = job.sinks();
        if (unreachable.contains(sinks.bootstrapServers())) {
            return problems;
        }
        try (Admin admin = admin(sinks.bootstrapServers(), sinks.properties(), timeout)) {
            Set<String> existing = topics(admin, timeout);
            List<String> missing = new ArrayList<>();
            sinks.topicsByKey()
                    .forEach(
                            (topic, key) -> {
                                if (!existing.contains(topic)
                                        && !topic.equals(sinks.stateTopic())) {
                                    missing.add(key + ": topic '" + topic + "'");
                                }
                            });
            String state = sinks.stateTopic();
            if (state != null) {
                if (!existing.contains(state)) {
                    problems.add(
                            "sinks.state-topic: topic '"
                                    + state
                                    + "' does not exist on "
                                    + sinks.bootstrapServers()
                                    + "; create it with cleanup.policy=compact (one the broker"
                                    + " creates on first use is not compacted)");
                } else {
                    String policy = topicConfig(admin, state, "cleanup.policy", timeout);
                    if (policy != null && !policy.contains("compact")) {
                        problems.add(
                                "sinks.state-topic: topic '"
                                        + state
                                        + "' has cleanup.policy="
                                        + policy
                                        + "; the state changelog needs compact, so that each"
                                        + " key's latest state is kept");
                    }
                }
            }
            if (!missing.isEmpty()) {
                String autoCreate = autoCreate(admin, timeout);
                if (!"true".equals(autoCreate)) {
                    String why =
                            autoCreate == null
                                    ? " (and the broker's auto.create.topics.enable cannot be"
                                            + " read)"
                                    : " and the broker does not create topics"
                                            + " (auto.create.topics.enable=false)";
                    for (String m : missing) {
                        problems.add(m + " does not exist on " + sinks.bootstrapServers() + why);
                    }
                }
            }
        } catch (Exception e) {
            problems.add(failed("sinks", sinks.bootstrapServers(), e));
        }
        return problems;
    }

    /** An admin client for {@code bootstrap} with the job's client properties and one timeout. */
    public static Admin admin(String bootstrap, Map<String, String> props, Duration timeout) {
        Properties p = new Properties();
        p.putAll(props);
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        p.setProperty(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        return Admin.create(p);
    }

    /**
     * Creates {@code topic} unless it exists; any number of callers may race. Whether this call
     * created it.
     */
    public static boolean createIfMissing(Admin admin, NewTopic topic, Duration timeout)
            throws Exception {
        try {
            admin.createTopics(List.of(topic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Creates every topic {@code sinks} write that does not exist yet, with {@code partitions}
     * partitions (or the broker's default when 0); the state changelog compacted. The topics it
     * created.
     */
    public static List<String> createSinkTopics(
            Admin admin, JobFile.SinkSpec sinks, int partitions, Duration timeout)
            throws Exception {
        List<String> created = new ArrayList<>();
        for (String topic : sinks.topicsByKey().keySet()) {
            NewTopic t =
                    new NewTopic(
                            topic,
                            partitions > 0 ? Optional.of(partitions) : Optional.empty(),
                            Optional.empty());
            if (topic.equals(sinks.stateTopic())) {
                t.configs(Map.of("cleanup.policy", "compact"));
            }
            if (createIfMissing(admin, t, timeout)) {
                created.add(topic);
            }
        }
        return created;
    }

    private static Set<String> topics(Admin admin, Duration timeout) throws Exception {
        return admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** {@code topic}'s setting {@code name}, or null when it cannot be read. */
    private static String topicConfig(Admin admin, String topic, String name, Duration timeout) {
        try {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config c =
                    admin.describeConfigs(List.of(r))
                            .values()
                            .get(r)
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            ConfigEntry e = c.get(name);
            return e == null ? null : e.value();
        } catch (Exception e) {
            return null;
        }
    }

    /** The broker's {@code auto.create.topics.enable}, or null when it cannot be read. */
    private static String autoCreate(Admin admin, Duration timeout) {
        try {
            Collection<Node> nodes =
                    admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (nodes.isEmpty()) {
                return null;
            }
            ConfigResource broker =
                    new ConfigResource(
                            ConfigResource.Type.BROKER, nodes.iterator().next().idString());
            Config c =
                    admin.describeConfigs(List.of(broker))
                            .values()
                            .get(broker)
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            ConfigEntry e = c.get("auto.create.topics.enable");
            return e == null ? null : e.value();
        } catch (Exception e) {
            return null;
        }
    }

    /** A problem of the clients of {@code at}, keyed by the job-file setting to fix. */
    private static String failed(String at, String bootstrap, Exception e) {
        return at
                + (authentication(e) ? ".properties: " : ".bootstrap-servers: ")
                + failure(bootstrap, e);
    }

    private static boolean authentication(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AuthenticationException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why a client could not talk to {@code bootstrap}: refused credentials and a failed TLS
     * handshake say which properties to check; anything else is out of reach.
     */
    public static String failure(String bootstrap, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SslAuthenticationException) {
                return "the TLS handshake with Kafka at "
                        + bootstrap
                        + " failed ("
                        + t.getMessage()
                        + "); check ssl.truststore.* and the broker's certificate";
            }
            if (t instanceof AuthenticationException) {
                return "Kafka at "
                        + bootstrap
                        + " refused the credentials ("
                        + t.getMessage()
                        + "); check sasl.mechanism and sasl.jaas.config";
            }
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return "cannot reach Kafka at " + bootstrap + ": " + cause;
    }
}
