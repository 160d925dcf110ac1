package io.reflex.savepoints.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.ChildJvm;
import io.reflex.sandbox.ClusterConf;
import io.reflex.sandbox.KafkaBrokerProcess;
import io.reflex.sandbox.TopicReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Everything the cluster tests run against, each in a process of its own: a Kafka broker JVM, the
 * stub LLM JVM, and a standalone Flink session cluster (one JobManager, one TaskManager) started by
 * {@code bin/reflex cluster start} with a copy of {@code flink-conf/} on free ports. Every command
 * goes through {@code bin/reflex}, as a user would type it.
 */
final class StandaloneClusterFixture implements AutoCloseable {
    private static final Pattern JOB_ID = Pattern.compile("job id: ([0-9a-f]{32})");
    private static final Pattern SAVEPOINT = Pattern.compile("savepoint: (\\S+)");

    final Path root;
    final Path dir;
    final Map<String, String> env;
    final KafkaBrokerProcess kafka;
    final ChildJvm stub;
    final String stubUrl;
    final String restUrl;
    final String clusterStartOutput;
    private final HttpClient http = HttpClient.newHttpClient();

    private StandaloneClusterFixture(
            Path root,
            Path dir,
            Map<String, String> env,
            KafkaBrokerProcess kafka,
            ChildJvm stub,
            String stubUrl,
            String restUrl,
            String clusterStartOutput) {
        this.root = root;
        this.dir = dir;
        this.env = env;
        this.kafka = kafka;
        this.stub = stub;
        this.stubUrl = stubUrl;
        this.restUrl = restUrl;
        this.clusterStartOutput = clusterStartOutput;
    }

    static StandaloneClusterFixture start(Path dir) throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        assertThat(root.resolve("bin/reflex")).as("run from the savepoints module").exists();
        KafkaBrokerProcess kafka =
                KafkaBrokerProcess.start(dir.resolve("kafka"), Duration.ofSeconds(60));
        int stubPort = KafkaBrokerProcess.freePort();
        ChildJvm stub =
                ChildJvm.start(
                        "io.reflex.sandbox.StubLlmServer",
                        List.of("-Xmx256m"),
                        List.of(Integer.toString(stubPort), "100"),
                        dir.resolve("stub.log"));
        String stubUrl = "http://127.0.0.1:" + stubPort;

        Path conf = dir.resolve("flink-conf");
        String restUrl = ClusterConf.isolate(root, conf, dir.resolve("flink"));

        Map<String, String> env =
                Map.of(
                        "FLINK_CONF_DIR", conf.toString(),
                        "REFLEX_CLUSTER_HOME", dir.resolve("cluster").toString(),
                        "REFLEX_SKIP_BUILD", "1");
        StandaloneClusterFixture f =
                new StandaloneClusterFixture(root, dir, env, kafka, stub, stubUrl, restUrl, "");
        String started = f.reflex("cluster", "start", "--taskmanagers", "1");
        f.awaitStub();
        return new StandaloneClusterFixture(
                root, dir, env, kafka, stub, stubUrl, f.restUrl, started);
    }

    /** Runs {@code bin/reflex args} and returns its output; fails the test on a non-zero exit. */
    String reflex(String... args) throws IOException, InterruptedException {
        return reflexExpecting(0, args);
    }

    /** Runs {@code bin/reflex args}, expects exit code {@code expected}, returns its output. */
    String reflexExpecting(int expected, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("bin/reflex").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("REFLEX_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        pb.environment().put("OPENAI_BASE_URL", stubUrl + "/v1");
        pb.environment().put("OPENAI_API_KEY", "");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        System.out.println("$ reflex " + String.join(" ", args) + "\n" + out);
        assertThat(code)
                .as("reflex %s exited with:%n%s", String.join(" ", args), out)
                .isEqualTo(expected);
        return out;
    }

    static String jobId(String output) {
        Matcher m = JOB_ID.matcher(output);
        assertThat(m.find()).as("a job id in:%n%s", output).isTrue();
        return m.group(1);
    }

    static String savepoint(String output) {
        Matcher m = SAVEPOINT.matcher(output);
        assertThat(m.find()).as("a savepoint path in:%n%s", output).isTrue();
        return m.group(1);
    }

    /** The stub's counters, from {@code GET /stats}. */
    JsonNode stubStats() throws Exception {
        return Json.MAPPER.readTree(
                http.send(
                                HttpRequest.newBuilder(URI.create(stubUrl + "/stats")).build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body());
    }

    /** Makes the stub answer after {@code ms} from now on. */
    void stubLatency(long ms) throws Exception {
        HttpResponse<String> r =
                http.send(
                        HttpRequest.newBuilder(URI.create(stubUrl + "/admin/latency?ms=" + ms))
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    /** Cancels a job through the REST API and waits until it is cancelled. */
    void cancel(String jobId, Duration timeout) throws Exception {
        http.send(
                HttpRequest.newBuilder(URI.create(restUrl + "/jobs/" + jobId + "?mode=cancel"))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.discarding());
        await(
                "job " + jobId + " cancelled",
                timeout,
                () -> job(jobId).path("state").asText().equals("CANCELED"));
    }

    /** A job's REST description. */
    JsonNode job(String jobId) throws Exception {
        return rest("/jobs/" + jobId);
    }

    /** {@code GET path} of the cluster's REST API. */
    JsonNode rest(String path) throws Exception {
        return Json.MAPPER.readTree(
                http.send(
                                HttpRequest.newBuilder(URI.create(restUrl + path)).build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body());
    }

    /**
     * Reads {@code topic} with read_committed until it holds {@code n} records or time runs out.
     */
    List<ConsumerRecord<byte[], byte[]>> awaitRecords(String topic, int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ConsumerRecord<byte[], byte[]>> records;
        do {
            records = TopicReader.readAll(kafka.bootstrapServers(), topic, Duration.ofSeconds(5));
            if (records.size() >= n) {
                return records;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
        } while (System.nanoTime() < deadline);
        return records;
    }

    /** Polls until {@code condition} holds; fails with {@code what} after the timeout. */
    static void await(String what, Duration timeout, Check condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    /** A condition polled by {@link #await}. */
    interface Check {
        boolean holds() throws Exception;
    }

    private void awaitStub() throws Exception {
        await(
                "the stub LLM answers",
                Duration.ofSeconds(30),
                () -> {
                    try {
                        return stubStats().has("requests");
                    } catch (IOException e) {
                        return false;
                    }
                });
    }

    /** A process id from the cluster's pid files, such as {@code taskmanager-1}. */
    long pid(String name) throws IOException {
        return Long.parseLong(
                Files.readString(dir.resolve("cluster").resolve(name + ".pid")).trim());
    }

    @Override
    public void close() throws Exception {
        try {
            reflex("cluster", "stop");
        } finally {
            stub.close();
            kafka.close();
        }
    }
}
