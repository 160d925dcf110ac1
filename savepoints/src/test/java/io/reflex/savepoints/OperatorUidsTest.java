package io.reflex.savepoints;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.jobs.ReflexJob;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * Pins the operator uids of the reference job. A savepoint maps state to operators by uid, so a
 * changed uid silently drops that operator's state: this test fails instead. Change {@code
 * operator-uids.txt} only on purpose, and say in the release notes how to upgrade.
 */
class OperatorUidsTest {

    @Test
    void theReferenceJobsUidsAreThePinnedOnes() throws Exception {
        JobFile job =
                new JobFileParser(Map.of("REFLEX_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
                        .parse(Path.of("../jobs/examples/market-watch.yaml"));
        StreamExecutionEnvironment env = new StreamExecutionEnvironment();
        ReflexJob.build(env, job);
        List<String> uids =
                env.getStreamGraph().getStreamNodes().stream()
                        .map(StreamNode::getTransformationUID)
                        .filter(Objects::nonNull)
                        .sorted()
                        .toList();
        List<String> pinned =
                Files.readAllLines(
                                Path.of("src/test/resources/operator-uids.txt"),
                                StandardCharsets.UTF_8)
                        .stream()
                        .filter(l -> !l.isBlank() && !l.startsWith("#"))
                        .sorted()
                        .toList();
        assertThat(uids).isEqualTo(pinned);
    }
}
