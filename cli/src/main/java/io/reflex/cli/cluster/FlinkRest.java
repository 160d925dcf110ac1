package io.reflex.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/** A few calls of Flink's REST API: the cluster overview and a job's state. */
public final class FlinkRest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String baseUrl;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public FlinkRest(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** {@code GET path}, or empty when the REST endpoint is not (yet) reachable. */
    public Optional<JsonNode> get(String path) {
        try {
            HttpResponse<String> r =
                    http.send(
                            HttpRequest.newBuilder(URI.create(baseUrl + path))
                                    .timeout(Duration.ofSeconds(5))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            return Optional.of(MAPPER.readTree(r.body()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Polls {@code path} every 200 ms until {@code done} holds, or gives up after the timeout. */
    public Optional<JsonNode> await(String path, Predicate<JsonNode> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<JsonNode> node = get(path);
            if (node.isPresent() && done.test(node.get())) {
                return node;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        return Optional.empty();
    }

    /** True when the job and every one of its tasks are running. */
    public static boolean allTasksRunning(JsonNode job) {
        if (!"RUNNING".equals(job.path("state").asText())) {
            return false;
        }
        for (JsonNode v : job.path("vertices")) {
            JsonNode counts = v.path("tasks");
            if (counts.path("RUNNING").asInt() != v.path("parallelism").asInt()) {
                return false;
            }
        }
        return job.path("vertices").size() > 0;
    }

    /** True for the states a job does not leave by itself. */
    public static boolean terminal(String state) {
        return switch (state) {
            case "FINISHED", "FAILED", "CANCELED", "SUSPENDED" -> true;
            default -> false;
        };
    }
}
