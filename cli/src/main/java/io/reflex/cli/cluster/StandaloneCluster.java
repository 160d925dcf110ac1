package io.reflex.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A standalone Flink session cluster on this machine, started from the Maven-resolved classpath
 * with the same entry points as Flink's own scripts: one JobManager ({@code
 * StandaloneSessionClusterEntrypoint}) and N TaskManagers ({@code TaskManagerRunner}). Each
 * process's id goes to {@code <state>/<name>.pid} and its log to {@code <state>/log/<name>.log};
 * memory flags come from Flink's {@code BashJavaUtils}, as in {@code jobmanager.sh}.
 */
public final class StandaloneCluster {
    private static final String JM_MAIN =
            "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TM_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String BASH_JAVA_UTILS =
            "org.apache.flink.runtime.util.bash.BashJavaUtils";
    private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

    private final ClusterHome home;
    private final FlinkRest rest;
    private final PrintStream out;

    public StandaloneCluster(ClusterHome home, PrintStream out) {
        this.home = home;
        this.rest = new FlinkRest(home.restUrl());
        this.out = out;
    }

    /**
     * Starts the JobManager unless it runs, then TaskManagers until {@code taskManagers} run, and
     * waits until the REST API reports them all. Returns false if they did not come up in time.
     */
    public boolean start(int taskManagers, Duration timeout) throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(home.logDir());
        if (alive("jobmanager").isEmpty()) {
            if (rest.get("/overview").isPresent()) {
                out.println(
                        "reflex cluster: something else already answers at "
                                + home.restUrl()
                                + "; stop it or change rest.port in "
                                + home.confDir().resolve("config.yaml"));
                return false;
            }
            launch("jobmanager", JM_MAIN, "GET_JM_RESOURCE_PARAMS");
        }
        // A TaskManager that died may still be listed until its heartbeat times out: wait for
        // the new ones by id, not by count.
        Set<String> known = taskManagerIds();
        List<String> running = taskManagersAlive();
        int launched = 0;
        // A name is never reused while the cluster runs (a dead TaskManager keeps its pid file
        // until `stop`): it is the TaskManager's resource id in the REST API, and its log's name.
        for (int i = 1; running.size() < taskManagers; i++) {
            String name = "taskmanager-" + i;
            if (!Files.exists(home.stateDir().resolve(name + ".pid"))) {
                launch(name, TM_MAIN, "GET_TM_RESOURCE_PARAMS");
                running.add(name);
                launched++;
            }
        }
        int newOnes = launched;
        Optional<JsonNode> overview =
                rest.await("/taskmanagers", t -> newIds(t, known) >= newOnes, timeout)
                        .flatMap(
                                t ->
                                        rest.await(
                                                "/overview",
                                                o -> o.path("taskmanagers").asInt() >= taskManagers,
                                                timeout));
        if (overview.isEmpty()) {
            out.println(
                    "reflex cluster: not ready after "
                            + timeout.toSeconds()
                            + " s; see the logs in "
                            + home.logDir());
            return false;
        }
        out.printf(
                "reflex cluster: ready in %.1f s: %d TaskManager(s), %d slots; web UI %s%n",
                (System.nanoTime() - t0) / 1e9,
                overview.get().path("taskmanagers").asInt(),
                overview.get().path("slots-total").asInt(),
                home.restUrl());
        return true;
    }

    /** Stops every process this cluster started, politely first, then by force after 30 s. */
    public void stop() throws IOException {
        List<String> names = new ArrayList<>(taskManagersAlive());
        names.add("jobmanager");
        List<ProcessHandle> stopping = new ArrayList<>();
        for (String name : names) {
            Optional<ProcessHandle> p = alive(name);
            if (p.isPresent()) {
                p.get().destroy();
                stopping.add(p.get());
                out.println("reflex cluster: stopping " + name + " (pid " + p.get().pid() + ")");
            }
        }
        for (ProcessHandle p : stopping) {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        try (Stream<Path> pids = pidFiles()) {
            for (Path f : pids.toList()) {
                Files.deleteIfExists(f);
            }
        }
        out.println(stopping.isEmpty() ? "reflex cluster: not running" : "reflex cluster: stopped");
    }

    /** Prints the processes, the REST overview and the jobs. Returns true if the cluster is up. */
    public boolean status() throws IOException {
        Optional<ProcessHandle> jm = alive("jobmanager");
        out.println(
                "jobmanager: "
                        + jm.map(p -> "running, pid " + p.pid()).orElse("not running")
                        + " ("
                        + home.restUrl()
                        + ")");
        for (String tm : taskManagersAlive()) {
            out.println(tm + ": running, pid " + alive(tm).map(ProcessHandle::pid).orElse(-1L));
        }
        Optional<JsonNode> overview = rest.get("/overview");
        if (overview.isEmpty()) {
            out.println("REST API: not answering");
            return false;
        }
        JsonNode o = overview.get();
        out.printf(
                "flink %s: %d TaskManager(s), %d/%d slots free, jobs running %d, finished %d,"
                        + " cancelled %d, failed %d%n",
                o.path("flink-version").asText(),
                o.path("taskmanagers").asInt(),
                o.path("slots-available").asInt(),
                o.path("slots-total").asInt(),
                o.path("jobs-running").asInt(),
                o.path("jobs-finished").asInt(),
                o.path("jobs-cancelled").asInt(),
                o.path("jobs-failed").asInt());
        rest.get("/jobs/overview")
                .ifPresent(
                        jobs -> {
                            for (JsonNode j : jobs.path("jobs")) {
                                out.printf(
                                        "  %s  %-10s %s%n",
                                        j.path("jid").asText(),
                                        j.path("state").asText(),
                                        j.path("name").asText());
                            }
                        });
        return jm.isPresent();
    }

    private Set<String> taskManagerIds() {
        Set<String> ids = new HashSet<>();
        rest.get("/taskmanagers")
                .ifPresent(
                        t -> t.path("taskmanagers").forEach(tm -> ids.add(tm.path("id").asText())));
        return ids;
    }

    private static int newIds(JsonNode taskManagers, Set<String> known) {
        int n = 0;
        for (JsonNode tm : taskManagers.path("taskmanagers")) {
            n += known.contains(tm.path("id").asText()) ? 0 : 1;
        }
        return n;
    }

    /** The process of {@code name} if its pid file names a live process. */
    public Optional<ProcessHandle> alive(String name) {
        Path pidFile = home.stateDir().resolve(name + ".pid");
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private List<String> taskManagersAlive() throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(home.stateDir())) {
            return names;
        }
        try (Stream<Path> pids = pidFiles()) {
            for (Path f : pids.sorted().toList()) {
                String name = f.getFileName().toString().replace(".pid", "");
                if (name.startsWith("taskmanager-") && alive(name).isPresent()) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private Stream<Path> pidFiles() throws IOException {
        if (!Files.isDirectory(home.stateDir())) {
            return Stream.empty();
        }
        return Files.list(home.stateDir()).filter(p -> p.toString().endsWith(".pid"));
    }

    private void launch(String name, String mainClass, String resourceQuery) throws IOException {
        List<List<String>> params = memoryParameters(resourceQuery);
        List<String> cmd = new ArrayList<>();
        cmd.add(ClusterHome.java());
        cmd.addAll(params.get(0));
        cmd.addAll(home.javaFlags());
        cmd.add("-Dlog.file=" + home.logDir().resolve(name + ".log"));
        cmd.add("-Dlog4j.configurationFile=file:" + home.confDir().resolve("log4j.properties"));
        cmd.add("-cp");
        cmd.add(home.classpath());
        cmd.add(mainClass);
        cmd.add("--configDir");
        cmd.add(home.confDir().toString());
        cmd.addAll(params.get(1));
        if (mainClass.equals(TM_MAIN)) {
            cmd.add("-D");
            cmd.add("taskmanager.resource-id=" + name);
        }
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(home.logDir().resolve(name + ".out").toFile())
                        .start();
        Files.writeString(
                home.stateDir().resolve(name + ".pid"),
                Long.toString(p.pid()),
                StandardCharsets.UTF_8);
        out.println("reflex cluster: started " + name + " (pid " + p.pid() + ")");
    }

    /** Flink's own computation of the JVM memory flags and the derived memory settings. */
    private List<List<String>> memoryParameters(String query) throws IOException {
        List<String> cmd =
                new ArrayList<>(List.of(ClusterHome.java(), "-Xmx128m", "-cp", home.classpath()));
        cmd.addAll(home.javaFlags());
        cmd.addAll(
                List.of(
                        "-Dlog4j.configurationFile=file:"
                                + home.confDir().resolve("log4j-cli.properties"),
                        "-Dlog.file=" + home.logDir().resolve("bash-java-utils.log"),
                        BASH_JAVA_UTILS,
                        query,
                        "--configDir",
                        home.confDir().toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<List<String>> results = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith(RESULT_PREFIX)) {
                List<String> words = new ArrayList<>();
                for (String w : line.substring(RESULT_PREFIX.length()).trim().split("\\s+")) {
                    if (!w.isEmpty()) {
                        words.add(w);
                    }
                }
                results.add(words);
            }
        }
        if (results.size() < 2) {
            throw new IOException(
                    "Flink could not derive the memory settings from "
                            + home.confDir().resolve("config.yaml")
                            + ":\n"
                            + output);
        }
        return results;
    }
}
