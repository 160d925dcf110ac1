package io.reflex.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.model.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.program.ClusterClient;

/** A job's restarts and failures, read from the cluster's REST API as an operator would. */
final class JobHealth {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private JobHealth() {}

    /** The job's {@code numRestarts} metric, or 0 while it is not reported yet. */
    static long numRestarts(ClusterClient<?> client, JobID id) throws Exception {
        long restarts = 0;
        for (JsonNode v : get(client, "/jobs/" + id + "/metrics?get=numRestarts")) {
            restarts = Math.max(restarts, v.path("value").asLong(0));
        }
        return restarts;
    }

    /** The entries of the job's exception history: one per failure that restarted or ended it. */
    static List<JsonNode> exceptions(ClusterClient<?> client, JobID id) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        get(client, "/jobs/" + id + "/exceptions")
                .path("exceptionHistory")
                .path("entries")
                .forEach(out::add);
        return out;
    }

    private static JsonNode get(ClusterClient<?> client, String path) throws Exception {
        HttpResponse<String> r =
                HTTP.send(
                        HttpRequest.newBuilder(URI.create(client.getWebInterfaceURL() + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return Json.MAPPER.readTree(r.body());
    }
}
