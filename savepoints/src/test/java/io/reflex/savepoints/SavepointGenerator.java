package io.reflex.savepoints;

import io.reflex.jobs.ReflexJob;
import io.reflex.jobs.config.JobFile;
import io.reflex.sandbox.Await;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.StubLlmServer;
import io.reflex.sandbox.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Writes the savepoint of the current version to {@code
 * src/test/resources/savepoints/reflex-<version>/}, for {@link SavepointCompatibilityITCase} to
 * restore from then on. Run it by hand once per release, before changing any state type, and commit
 * what it writes:
 *
 * <pre>
 * mvn install -DskipTests
 * mvn -pl savepoints verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=SavepointGenerator -Dreflex.savepoint.version=0.2 \
 *     -Djunit.jupiter.conditions.deactivate='org.junit.*DisabledCondition'
 * </pre>
 */
@Disabled("generator, not a test: run by hand once per release to write the committed savepoint")
class SavepointGenerator {
    @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = Clusters.twoSlots();

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void writeSavepoint() throws Exception {
        String version = System.getProperty("reflex.savepoint.version", "0.1");
        Path target = Path.of("src/test/resources/savepoints/reflex-" + version).toAbsolutePath();
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        kafka.createTopics(1, CompatRecords.EVENTS, CompatRecords.ACTIONS, CompatRecords.DLQ);
        try (StubLlmServer stub = StubLlmServer.start()) {
            JobFile job = CompatRecords.jobFile(kafka.bootstrapServers(), stub.baseUrl());
            Configuration conf = ReflexJob.configuration(job);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(conf);
            ReflexJob.build(env, job);
            JobClient client = env.executeAsync(CompatRecords.JOB);

            CompatRecords.produce(kafka.bootstrapServers(), CompatRecords.answeredPhase());
            TopicReader.awaitAtLeast(
                    kafka.bootstrapServers(),
                    CompatRecords.ACTIONS,
                    CompatRecords.ANSWERED.size(),
                    WAIT);
            stub.setSettings(stub.settings().withLatency(TimeUnit.MINUTES.toMillis(30), 0));
            CompatRecords.produce(kafka.bootstrapServers(), CompatRecords.pendingPhase());
            Await.until(
                    "the pending phase's requests in flight",
                    WAIT,
                    () -> stub.inFlight() >= CompatRecords.PENDING.size());
            Path tmp = Files.createTempDirectory("reflex-savepoint-");
            String written =
                    client.stopWithSavepoint(
                                    false, tmp.toUri().toString(), SavepointFormatType.CANONICAL)
                            .get();
            Path source = Path.of(java.net.URI.create(written));
            if (Files.exists(target)) {
                try (Stream<Path> old = Files.walk(target)) {
                    old.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.createDirectories(target);
            try (Stream<Path> files = Files.list(source)) {
                for (Path f : files.toList()) {
                    Files.copy(f, target.resolve(f.getFileName()));
                }
            }
            System.out.println("wrote " + target);
        }
    }
}
