package io.reflex.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.sandbox.EmbeddedKafka;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link KafkaPreflight} against a real broker: the state changelog's topic must exist
 * and be compacted, since a topic the broker creates on first use would delete old states.
 */
class KafkaPreflightITCase {

    private static JobFile job(EmbeddedKafka kafka, String s, String stateTopic) throws Exception {
        String yaml =
                String.join(
                        "\n",
                        "job: {name: pre-" + s + "}",
                        "sources:",
                        "  - {name: t, bootstrap-servers: '${B}', topics: [in-" + s + "], key: /k}",
                        "rules:",
                        "  - {id: r, type: match, field: /f, pattern: x}",
                        "llm: {base-url: 'http://127.0.0.1:9/v1', model: m}",
                        "actions:",
                        "  - {type: alert, topic: alerts-" + s + "}",
                        "sinks:",
                        "  bootstrap-servers: ${B}",
                        "  actions-topic: actions-" + s,
                        "  dead-letter-topic: dlq-" + s,
                        "  state-topic: " + stateTopic,
                        "");
        return new JobFileParser(Map.of("B", kafka.bootstrapServers())).parse("p.yaml", yaml);
    }

    @Test
    void theStateTopicMustExistCompacted() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        kafka.createTopics(1, "in-" + s, "actions-" + s, "dlq-" + s, "alerts-" + s);
        Duration timeout = Duration.ofSeconds(10);

        assertThat(KafkaPreflight.problems(job(kafka, s, "missing-" + s), timeout))
                .containsExactly(
                        "sinks.state-topic: topic 'missing-"
                                + s
                                + "' does not exist on "
                                + kafka.bootstrapServers()
                                + "; create it with cleanup.policy=compact (one the broker"
                                + " creates on first use is not compacted)");

        kafka.createTopic("deleting-" + s, 1, Map.of("cleanup.policy", "delete"));
        assertThat(KafkaPreflight.problems(job(kafka, s, "deleting-" + s), timeout))
                .containsExactly(
                        "sinks.state-topic: topic 'deleting-"
                                + s
                                + "' has cleanup.policy=delete; the state changelog needs"
                                + " compact, so that each key's latest state is kept");

        kafka.createTopic("compacted-" + s, 1, Map.of("cleanup.policy", "compact"));
        assertThat(KafkaPreflight.problems(job(kafka, s, "compacted-" + s), timeout)).isEmpty();
    }
}
