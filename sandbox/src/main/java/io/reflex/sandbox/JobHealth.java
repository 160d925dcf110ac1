package io.reflex.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's restarts and failures, read from a Flink cluster's REST API as an operator would: tests
 * use it to check that hostile input never restarted a job.
 */
public final class JobHealth {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JobHealth() {}

    /**
     * The job's {@code numRestarts} metric, or 0 while the cluster does not report it yet.
     *
     * @param restUrl the cluster's REST address, for example {@code http://127.0.0.1:8081}
     * @param jobId the job's id in hex
     */
    public static long numRestarts(String restUrl, String jobId)
            throws IOException, InterruptedException {
        long restarts = 0;
        for (JsonNode v : get(restUrl, "/jobs/" + jobId + "/metrics?get=numRestarts")) {
            restarts = Math.max(restarts, v.path("value").asLong(0));
        }
        return restarts;
    }

    /** The entries of the job's exception history: one per failure that restarted or ended it. */
    public static List<JsonNode> exceptions(String restUrl, String jobId)
            throws IOException, InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        get(restUrl, "/jobs/" + jobId + "/exceptions")
                .path("exceptionHistory")
                .path("entries")
                .forEach(out::add);
        return out;
    }

    private static JsonNode get(String restUrl, String path)
            throws IOException, InterruptedException {
        HttpResponse<String> r =
                HTTP.send(
                        HttpRequest.newBuilder(URI.create(restUrl + path))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(
                    "GET " + path + " answered HTTP " + r.statusCode() + ": " + r.body());
        }
        return MAPPER.readTree(r.body());
    }
}
