package io.reflex.bench.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.connectors.config.Durations;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.ChildJvm;
import io.reflex.sandbox.ClusterConf;
import io.reflex.sandbox.FeedHistory;
import io.reflex.sandbox.FeedServer;
import io.reflex.sandbox.KafkaBrokerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bin/reflex soak [--duration 10m] [--smoke]}: the soak job ({@code bench/soak.yaml}) on a
 * real standalone cluster of two TaskManagers, with every fault at once, and the figures that say
 * whether anything was lost or duplicated.
 *
 * <p>Kafka ({@link KafkaBrokerProcess}), the stub LLM and the WebSocket feed each run in a JVM of
 * their own; the cluster and the job go through {@code bin/reflex} as a user's would. The faults: a
 * {@code kill -9} of a TaskManager running the job every 45 s (a replacement started at once), one
 * broker restart, one LLM outage, 30% LLM faults throughout (429 with {@code Retry-After}, 500,
 * hangs, malformed bodies, schema violations, off-catalogue actions), WebSocket drops every 3 s
 * (the source resumes), malformed records of every kind, and prompt injections that an obeying
 * model acts on. {@link SoakCheck} then reads every output with {@code read_committed}.
 */
public final class Soak {
    private static final Pattern JOB_ID = Pattern.compile("job id: ([0-9a-f]{32})");

    /**
     * What to run.
     *
     * @param duration the whole run: input, then the drain
     * @param smoke the short version with one of each fault
     * @param out where the report goes
     * @param work where every process keeps its data and logs
     */
    public record Options(Duration duration, boolean smoke, Path out, Path work) {}

    /** One fault, when it started (seconds from the start of input) and what it was. */
    record Fault(double at, String kind, String detail) {}

    /** A sample of the run, every two seconds. */
    record Sample(
            double at, long sourceRecords, long llmRequests, int llmInFlight, String jobState) {}

    private final Options options;
    private final Path root;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final String apiKey = "sk-soak-" + secret();
    private final String feedToken = "feed-" + secret();
    private final Map<String, String> env = new LinkedHashMap<>();
    private volatile KafkaBrokerProcess kafka;
    private volatile ChildJvm stub;
    private volatile ChildJvm feed;
    private volatile boolean clusterStarted;
    private long startNanos;
    private long startMillis;
    private String restUrl;
    private String stubUrl;
    private String jobId;

    /** Requests the stub had in flight just before each kill: only they may be asked again. */
    private long inFlightAtKills;

    Soak(Options options, Path root) {
        this.options = options;
        this.root = root;
    }

    public static void main(String[] args) throws Exception {
        Duration duration = null;
        boolean smoke = false;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--duration" -> duration = Durations.parse(args[++i]);
                case "--smoke" -> smoke = true;
                case "--out" -> out = Path.of(args[++i]);
                case "-h", "--help" -> {
                    System.out.println(
                            "usage: reflex soak [--duration 10m] [--smoke]\n"
                                    + "  --duration D  the whole run (default 10m; 2m with --smoke)\n"
                                    + "  --smoke       two minutes with one of each fault; the"
                                    + " report goes to .reflex/soak-smoke/");
                    return;
                }
                default -> {
                    System.err.println("reflex soak: unknown argument '" + args[i] + "'");
                    System.exit(2);
                }
            }
        }
        Path root = Path.of("").toAbsolutePath();
        if (duration == null) {
            duration = smoke ? Duration.ofMinutes(2) : Duration.ofMinutes(10);
        }
        if (out == null) {
            out = root.resolve(smoke ? ".reflex/soak-smoke" : "bench/results");
        }
        Path work = root.resolve(".reflex/soak/run-" + System.currentTimeMillis() / 1000);
        SoakCheck check = new Soak(new Options(duration, smoke, out, work), root).run();
        System.exit(check.passed() ? 0 : 1);
    }

    /** Runs the soak and writes its report; the check says whether every target was met. */
    public SoakCheck run() throws Exception {
        Files.createDirectories(options.work());
        long seconds = options.duration().toSeconds();
        // Input for about two thirds of the run, then a drain for what the faults delayed.
        long inputSeconds = options.smoke() ? seconds - 45 : seconds * 2 / 3;
        if (inputSeconds < 30) {
            throw new IllegalArgumentException("--duration must be at least 75 s");
        }
        int feedRate = 20;
        long feedMessages = feedRate * inputSeconds;
        int hostilePerSecond = options.smoke() ? 4 : (int) Math.ceil(10_000.0 / inputSeconds);
        progress(
                "work directory %s; input %d s, then a drain of up to %d s",
                options.work(), inputSeconds, seconds - inputSeconds + 180);
        // Ctrl-C or a kill of this JVM must not leave the cluster, broker, stub or feed running.
        Thread hook = new Thread(this::teardown, "soak-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            kafka =
                    KafkaBrokerProcess.start(
                            options.work().resolve("kafka"), Duration.ofSeconds(90));
            kafka.createTopics(4, "soak.events");
            kafka.createTopics(2, "soak.actions", "soak.dlq");
            progress("Kafka up at %s (pid %d)", kafka.bootstrapServers(), kafka.pid());

            int stubPort = KafkaBrokerProcess.freePort();
            Map<String, String> secrets =
                    Map.of("SOAK_LLM_KEY", apiKey, "SOAK_FEED_TOKEN", feedToken);
            stub =
                    ChildJvm.start(
                            "io.reflex.sandbox.StubLlmServer",
                            List.of("-Xmx512m"),
                            List.of(
                                    Integer.toString(stubPort),
                                    "50",
                                    "--faults",
                                    "0.3",
                                    "--hang-ms",
                                    "15000",
                                    "--obey-injections",
                                    "--api-key-env",
                                    "SOAK_LLM_KEY"),
                            options.work().resolve("stub.log"),
                            secrets);
            stubUrl = "http://127.0.0.1:" + stubPort;
            int feedPort = KafkaBrokerProcess.freePort();
            long feedStart = System.currentTimeMillis();
            feed =
                    ChildJvm.start(
                            "io.reflex.sandbox.FeedServer",
                            List.of("-Xmx256m"),
                            List.of(
                                    Integer.toString(feedPort),
                                    "--rate",
                                    Integer.toString(feedRate),
                                    "--drop-every-ms",
                                    "3000",
                                    "--token-env",
                                    "SOAK_FEED_TOKEN",
                                    "--malformed-every",
                                    "50",
                                    "--news-only",
                                    "--last-seq",
                                    Long.toString(feedMessages),
                                    "--seed",
                                    "11",
                                    "--start-millis",
                                    Long.toString(feedStart)),
                            options.work().resolve("feed.log"),
                            secrets);
            String feedUrl = "ws://127.0.0.1:" + feedPort + "/feed";
            awaitHttp(stubUrl + "/stats");

            Path conf = options.work().resolve("flink-conf");
            restUrl = ClusterConf.isolate(root, conf, options.work().resolve("flink"));
            // The REST API's metrics are at most this old, for a throughput sampled every 2 s.
            Files.writeString(
                    conf.resolve("config.yaml"),
                    "\nmetrics.fetcher.update-interval: 1s\n",
                    java.nio.file.StandardOpenOption.APPEND);
            env.put("FLINK_CONF_DIR", conf.toString());
            env.put("REFLEX_CLUSTER_HOME", options.work().resolve("cluster").toString());
            env.put("REFLEX_SKIP_BUILD", "1");
            env.put("REFLEX_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
            env.put("OPENAI_BASE_URL", stubUrl + "/v1");
            env.put("OPENAI_API_KEY", apiKey);
            env.put("FEED_TOKEN", feedToken);
            env.put("SOAK_FEED_URL", feedUrl);
            clusterStarted = true;
            reflex("cluster", "start", "--taskmanagers", "2");
            jobId = jobId(reflex("submit", root.resolve("bench/soak.yaml").toString()));
            progress("job %s submitted; web UI %s", jobId, restUrl);

            SoakInput input =
                    new SoakInput(
                            kafka.bootstrapServers(),
                            "soak.events",
                            "soak",
                            500,
                            hostilePerSecond,
                            inputSeconds);
            startNanos = System.nanoTime();
            startMillis = System.currentTimeMillis();
            Thread producer = new Thread(input, "soak-input");
            producer.setDaemon(true);
            producer.start();
            runFaults(kafka, input, inputSeconds);
            producer.join(TimeUnit.MINUTES.toMillis(3));

            SoakCheck check =
                    new SoakCheck(
                            kafka.bootstrapServers(),
                            input,
                            feedUrl,
                            new FeedHistory(
                                    new FeedServer.Settings(feedRate, 3000, null, 50, true),
                                    11,
                                    feedStart),
                            feedMessages,
                            java.util.Set.of("alert", "watch", "escalate"));
            Duration drain = Duration.ofSeconds(seconds - inputSeconds + 180);
            progress(
                    "input done (%d events, %d malformed); draining for up to %d s",
                    input.sent.get(), input.hostile.size(), drain.toSeconds());
            check.awaitSettled(drain, this::sample);
            check.awaitCheckpoints(() -> completedCheckpoints(), 2, Duration.ofMinutes(2));
            check.read();
            check.stub(getJson(stubUrl + "/stats"), inFlightAtKills, startMillis);
            check.restarts(
                    getJson(restUrl + "/jobs/" + jobId + "/exceptions?maxExceptions=1000"),
                    numRestarts());
            cancel();
            SoakReport report = new SoakReport(options, faults, samples, check, input, elapsed());
            // Every process stops before the logs are searched for secrets.
            teardown();
            check.secrets(
                    options.work(), Map.of("the API key", apiKey, "the feed token", feedToken));
            report.write(options.out());
            if (check.passed()) {
                // The logs stay; the broker's and Flink's data (hundreds of MB) only for a
                // failed run, to look into.
                io.reflex.jobs.cli.Cli.deleteTree(options.work().resolve("kafka/data"));
                io.reflex.jobs.cli.Cli.deleteTree(options.work().resolve("flink"));
            }
            return check;
        } finally {
            teardown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException exiting) {
                // the hook runs, or has run
            }
        }
    }

    /** Stops whatever of the cluster, the stub, the feed and the broker runs; safe to repeat. */
    private synchronized void teardown() {
        if (clusterStarted) {
            clusterStarted = false;
            stopCluster();
        }
        closeQuietly(stub, feed, kafka);
        stub = null;
        feed = null;
        kafka = null;
    }

    /** The faults' schedule, run on this thread while the input flows, sampling as it goes. */
    private void runFaults(KafkaBrokerProcess kafka, SoakInput input, long inputSeconds)
            throws Exception {
        List<Double> kills = new ArrayList<>();
        double brokerAt;
        double outageAt;
        long outageMs;
        if (options.smoke()) {
            kills.add(20.0);
            brokerAt = inputSeconds * 0.5;
            outageAt = inputSeconds * 0.7;
            outageMs = 15_000;
        } else {
            for (double t = 45; t < inputSeconds; t += 45) {
                kills.add(t);
            }
            brokerAt = inputSeconds * 0.4;
            outageAt = inputSeconds * 0.6;
            outageMs = 60_000;
        }
        faults.add(new Fault(0, "llm-faults", "30% of LLM answers faulty, throughout"));
        faults.add(new Fault(0, "feed-drops", "every WebSocket connection dropped every 3 s"));
        boolean brokerDone = false;
        boolean outageDone = false;
        double nextSample = 0;
        while (elapsed() < inputSeconds || !input.done) {
            double now = elapsed();
            if (now >= nextSample) {
                sample();
                nextSample = now + 2;
            }
            if (!kills.isEmpty() && now >= kills.get(0)) {
                kills.remove(0);
                killTaskManager();
            } else if (!brokerDone && now >= brokerAt) {
                brokerDone = true;
                double t0 = elapsed();
                kafka.restart(Duration.ofSeconds(90));
                fault(
                        "broker-restart",
                        String.format("broker down and up again in %.1f s", elapsed() - t0),
                        t0);
            } else if (!outageDone && now >= outageAt) {
                outageDone = true;
                post(stubUrl + "/admin/outage?ms=" + outageMs);
                fault(
                        "llm-outage",
                        "every LLM request answered 503 for " + outageMs / 1000 + " s",
                        now);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
        }
    }

    /** Kills a TaskManager that runs tasks of the job with SIGKILL, and starts a replacement. */
    private void killTaskManager() throws Exception {
        double at = elapsed();
        Optional<String> busy = busyTaskManager();
        String why = "";
        if (busy.isEmpty()) {
            // The job is restarting: a TaskManager dies all the same.
            busy = anyTaskManager();
            why = " (the job ran no tasks at that moment)";
        }
        if (busy.isEmpty()) {
            fault("taskmanager-kill", "skipped: no TaskManager alive", at);
            return;
        }
        Path pidFile = options.work().resolve("cluster").resolve(busy.get() + ".pid");
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        inFlightAtKills += getJson(stubUrl + "/stats").path("in_flight").asLong();
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty() || !p.get().destroyForcibly()) {
            fault("taskmanager-kill", "skipped: " + busy.get() + " (pid " + pid + ") is gone", at);
            return;
        }
        p.get().onExit().get(30, TimeUnit.SECONDS);
        fault("taskmanager-kill", "kill -9 " + busy.get() + " (pid " + pid + ")" + why, at);
        reflex("cluster", "start", "--taskmanagers", "2");
    }

    /** The TaskManager started last that is alive, by its pid file's name. */
    private Optional<String> anyTaskManager() throws IOException {
        Path dir = options.work().resolve("cluster");
        try (java.util.stream.Stream<Path> pids = Files.list(dir)) {
            return pids.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("taskmanager-") && n.endsWith(".pid"))
                    .map(n -> n.substring(0, n.length() - 4))
                    .filter(n -> alive(dir.resolve(n + ".pid")))
                    .max(
                            java.util.Comparator.comparingInt(
                                    n -> Integer.parseInt(n.substring("taskmanager-".length()))));
        }
    }

    private static boolean alive(Path pidFile) {
        try {
            return ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim()))
                    .map(ProcessHandle::isAlive)
                    .orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /**
     * A TaskManager, by its resource id (its pid file's name), that runs one of the job's tasks.
     */
    private Optional<String> busyTaskManager() throws Exception {
        JsonNode job = getJson(restUrl + "/jobs/" + jobId);
        for (JsonNode v : job.path("vertices")) {
            JsonNode tms =
                    getJson(
                            restUrl
                                    + "/jobs/"
                                    + jobId
                                    + "/vertices/"
                                    + v.path("id").asText()
                                    + "/taskmanagers");
            for (JsonNode tm : tms.path("taskmanagers")) {
                String id = tm.path("taskmanager-id").asText();
                if (id.startsWith("taskmanager-")
                        && Files.exists(options.work().resolve("cluster").resolve(id + ".pid"))
                        && tm.path("status").asText().equals("RUNNING")) {
                    return Optional.of(id);
                }
            }
        }
        return Optional.empty();
    }

    private void fault(String kind, String detail, double at) {
        faults.add(new Fault(at, kind, detail));
        progress("fault: %s", detail);
    }

    /** Samples the job's source output and the LLM's requests; never fails the run. */
    void sample() {
        try {
            JsonNode job = getJson(restUrl + "/jobs/" + jobId);
            long source = 0;
            for (JsonNode v : job.path("vertices")) {
                if (v.path("name").asText().startsWith("Source")) {
                    source += v.path("metrics").path("write-records").asLong();
                }
            }
            JsonNode stub = getJson(stubUrl + "/stats");
            samples.add(
                    new Sample(
                            elapsed(),
                            source,
                            stub.path("requests").asLong(),
                            stub.path("in_flight").asInt(),
                            job.path("state").asText("?")));
        } catch (Exception e) {
            samples.add(new Sample(elapsed(), -1, -1, -1, "unreachable"));
        }
        if (samples.size() % 15 == 1) {
            Sample s = samples.get(samples.size() - 1);
            progress(
                    "t=%.0fs job %s, %d source records, %d LLM requests (%d in flight), %d faults so far",
                    s.at(),
                    s.jobState(),
                    s.sourceRecords(),
                    s.llmRequests(),
                    s.llmInFlight(),
                    faults.size());
        }
    }

    private long completedCheckpoints() throws Exception {
        return getJson(restUrl + "/jobs/" + jobId + "/checkpoints")
                .at("/counts/completed")
                .asLong();
    }

    private long numRestarts() throws Exception {
        JsonNode m = getJson(restUrl + "/jobs/" + jobId + "/metrics?get=numRestarts");
        return m.isArray() && !m.isEmpty() ? m.get(0).path("value").asLong() : -1;
    }

    private void cancel() throws Exception {
        http.send(
                HttpRequest.newBuilder(URI.create(restUrl + "/jobs/" + jobId + "?mode=cancel"))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.discarding());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline
                && !getJson(restUrl + "/jobs/" + jobId).path("state").asText().equals("CANCELED")) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
        }
    }

    private void stopCluster() {
        try {
            reflex("cluster", "stop");
        } catch (Exception e) {
            progress("could not stop the cluster: %s", e);
        }
    }

    /** Runs {@code bin/reflex args} with the soak's environment; fails on a non-zero exit. */
    private String reflex(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("bin/reflex").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        Files.writeString(
                options.work().resolve("reflex-commands.log"),
                "$ reflex " + String.join(" ", args) + "\n" + out,
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        if (code != 0) {
            throw new IOException(
                    "reflex " + String.join(" ", args) + " exited " + code + ":\n" + out);
        }
        return out;
    }

    private static String jobId(String output) throws IOException {
        Matcher m = JOB_ID.matcher(output);
        if (!m.find()) {
            throw new IOException("no job id in the submit's output:\n" + output);
        }
        return m.group(1);
    }

    private JsonNode getJson(String url) throws IOException, InterruptedException {
        HttpResponse<String> r =
                http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return Json.MAPPER.readTree(r.body());
    }

    private void post(String url) throws IOException, InterruptedException {
        HttpResponse<String> r =
                http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(url + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    private void awaitHttp(String url) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                getJson(url);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(url + " did not answer in 30 s", e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }

    private double elapsed() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    static void progress(String format, Object... args) {
        System.out.printf("soak: " + format + "%n", args);
        System.out.flush();
    }

    private static String secret() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static void closeQuietly(AutoCloseable... all) {
        for (AutoCloseable c : all) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    progress("could not stop %s: %s", c, e);
                }
            }
        }
    }

    static ObjectNode faultJson(Fault f) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("at_s", Math.round(f.at() * 10) / 10.0);
        n.put("kind", f.kind());
        n.put("detail", f.detail());
        return n;
    }
}
