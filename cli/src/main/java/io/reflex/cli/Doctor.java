package io.reflex.cli;

import io.reflex.connectors.config.Durations;
import io.reflex.connectors.websocket.reader.WebSocketSplitReader;
import io.reflex.jobs.cli.Cli;
import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.kafka.KafkaPreflight;
import io.reflex.operators.action.ActionValidator;
import io.reflex.operators.agent.AgentTools;
import io.reflex.operators.decide.PromptBuilder;
import io.reflex.operators.decode.Decoded;
import io.reflex.operators.decode.EventDecoder;
import io.reflex.operators.llm.LlmException;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.LlmRequest;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.llm.OpenAiLlmClient;
import io.reflex.operators.model.Trigger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The checks of {@code reflex doctor}: what a job file points at, tried from here without starting
 * a job. Every broker is reached with the job's client properties; every topic is looked up; every
 * WebSocket URL is opened and its first message decoded with the source's pointers; the LLM
 * endpoint is asked one question with the job's real prompt, response format and catalogue, and its
 * answer validated. Each check ends ok or with the problem and what to change.
 */
final class Doctor {
    /** One check's result. */
    record Check(String what, boolean ok, String detail) {}

    private final JobFile job;
    private final Duration timeout;
    private final List<Check> checks = new ArrayList<>();

    Doctor(JobFile job, Duration timeout) {
        this.job = job;
        this.timeout = timeout;
    }

    /** Runs every check; their results in order. */
    List<Check> run() {
        kafka();
        job.webSocketSources().forEach(this::webSocket);
        llm();
        return checks;
    }

    private void ok(String what, String detail) {
        checks.add(new Check(what, true, detail));
    }

    private void fail(String what, String detail) {
        checks.add(new Check(what, false, detail));
    }

    // ---- Kafka

    private void kafka() {
        Map<String, Map<String, String>> brokers = new LinkedHashMap<>();
        job.sources().forEach(s -> brokers.putIfAbsent(s.bootstrapServers(), s.properties()));
        brokers.putIfAbsent(job.sinks().bootstrapServers(), job.sinks().properties());
        Set<String> unreachable = new HashSet<>();
        brokers.forEach(
                (bootstrap, props) -> {
                    if (!broker(bootstrap, props)) {
                        unreachable.add(bootstrap);
                    }
                });
        List<String> problems = KafkaPreflight.problems(job, timeout, unreachable);
        problems.forEach(p -> fail("topic", p));
        for (JobFile.KafkaSourceSpec s : job.sources()) {
            if (unreachable.contains(s.bootstrapServers())) {
                continue;
            }
            try (Admin admin =
                    KafkaPreflight.admin(s.bootstrapServers(), s.properties(), timeout)) {
                for (String topic : s.topics()) {
                    if (problems.stream().noneMatch(p -> p.contains("'" + topic + "'"))) {
                        sourceTopic(admin, s, topic);
                    }
                }
            }
        }
        if (problems.isEmpty() && !unreachable.contains(job.sinks().bootstrapServers())) {
            ok(
                    "sink topics",
                    String.join(", ", job.sinks().topicsByKey().keySet())
                            + " on "
                            + job.sinks().bootstrapServers());
        }
    }

    private boolean broker(String bootstrap, Map<String, String> props) {
        String what = "kafka " + bootstrap;
        try (Admin admin = KafkaPreflight.admin(bootstrap, props, timeout)) {
            DescribeClusterResult c = admin.describeCluster();
            String id = c.clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            int nodes = c.nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            ok(
                    what,
                    "cluster "
                            + id
                            + ", "
                            + nodes
                            + " broker(s), reached with "
                            + props.getOrDefault("security.protocol", "PLAINTEXT"));
            return true;
        } catch (Exception e) {
            String why = KafkaPreflight.failure(bootstrap, e);
            fail(
                    what,
                    why.startsWith("cannot reach")
                            ? "cannot reach it within "
                                    + Durations.format(timeout)
                                    + ": "
                                    + Cli.oneLine(e)
                                    + "; check bootstrap-servers and the security properties"
                            : why);
            return false;
        }
    }

    private void sourceTopic(Admin admin, JobFile.KafkaSourceSpec s, String topic) {
        String what = "topic " + topic;
        try {
            TopicDescription d =
                    admin.describeTopics(List.of(topic))
                            .allTopicNames()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                            .get(topic);
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            String maxMessage =
                    admin.describeConfigs(List.of(r))
                            .values()
                            .get(r)
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                            .get("max.message.bytes")
                            .value();
            int limit = s.decoding().maxRecordBytes();
            String sizes =
                    Long.parseLong(maxMessage) > limit
                            ? "; it takes records up to "
                                    + maxMessage
                                    + " bytes, those over max-record-bytes ("
                                    + limit
                                    + ") will be dead-lettered"
                            : "";
            ok(what, d.partitions().size() + " partition(s), source " + s.name() + sizes);
        } catch (Exception e) {
            fail(what, "cannot describe it: " + Cli.oneLine(e));
        }
    }

    // ---- WebSocket

    private void webSocket(JobFile.WebSocketSourceSpec spec) {
        EventDecoder decoder = new EventDecoder(spec.decoding(), job.detector().fields());
        for (String url : spec.urls()) {
            String what = "websocket " + url;
            CompletableFuture<String> first = new CompletableFuture<>();
            WebSocket ws = null;
            try {
                WebSocket.Builder b =
                        HttpClient.newBuilder()
                                .connectTimeout(timeout)
                                .build()
                                .newWebSocketBuilder()
                                .connectTimeout(timeout);
                spec.headers().forEach(b::header);
                ws =
                        b.buildAsync(URI.create(url), new FirstMessage(first))
                                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (spec.subscribeMessage() != null) {
                    ws.sendText(spec.subscribeMessage(), true);
                }
            } catch (Exception e) {
                String why = WebSocketSplitReader.describe(e);
                fail(
                        what,
                        "handshake failed: "
                                + (why.startsWith("handshake refused") ? why : Cli.oneLine(e))
                                + "; check the URL and headers");
                continue;
            }
            try {
                String message = first.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                Decoded d =
                        decoder.decode(
                                spec.name(),
                                url,
                                -1,
                                -1,
                                System.currentTimeMillis(),
                                message.getBytes(StandardCharsets.UTF_8));
                if (d.isEvent()) {
                    ok(
                            what,
                            "connected; the first message decodes: key "
                                    + d.event().key()
                                    + ", event time "
                                    + d.event().eventTime());
                } else {
                    fail(
                            what,
                            "connected, but the first message does not decode: "
                                    + d.deadLetter().reason()
                                    + "; check the source's key, event-time and event-id"
                                    + " pointers");
                }
            } catch (java.util.concurrent.TimeoutException e) {
                ok(
                        what,
                        "connected; no message within " + Durations.format(timeout) + " to decode");
            } catch (Exception e) {
                fail(what, "connected, then: " + Cli.oneLine(e));
            } finally {
                ws.abort();
            }
        }
    }

    /** Completes with the first text message. */
    private record FirstMessage(CompletableFuture<String> first) implements WebSocket.Listener {
        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            first.complete(data.toString());
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            first.completeExceptionally(error);
        }
    }

    // ---- LLM

    private void llm() {
        LlmOptions options = job.llm();
        String what = "llm " + options.baseUrl() + " (" + options.model() + ")";
        boolean agent = !"stateless".equals(job.llmOperator());
        Trigger probe =
                new Trigger(
                        "doctor",
                        "DOCTOR",
                        System.currentTimeMillis(),
                        List.of("doctor-1"),
                        "{\"rule\":{\"id\":\"doctor\",\"type\":\"match\",\"matched\":\"test\"},"
                                + "\"note\":\"a check from reflex doctor: no action is needed\"}");
        LlmRequest request =
                new LlmRequest(
                        "reflex-doctor",
                        new PromptBuilder(options, job.catalogue()).messages(List.of(probe), null),
                        "reflex_actions",
                        job.catalogue().responseSchema(agent, job.agent().memoryMaxChars()),
                        // The tools the agent offers, so that a provider that refuses them says
                        // so here, not in the running job.
                        agent && job.agent().maxToolRounds() > 0 ? AgentTools.specs() : List.of());
        try (OpenAiLlmClient client = new OpenAiLlmClient(options)) {
            LlmResponse r =
                    client.complete(request)
                            .get(
                                    options.attemptTimeout().toMillis() + 5_000,
                                    TimeUnit.MILLISECONDS);
            if (!r.toolCalls().isEmpty()) {
                ok(
                        what,
                        "answered in "
                                + r.latencyMs()
                                + " ms with a call of the tool '"
                                + r.toolCalls().get(0).name()
                                + "', which the agent answers before the model decides; tools"
                                + " and llm.structured-output "
                                + options.structuredOutput()
                                + " accepted");
                return;
            }
            ActionValidator.Result v =
                    new ActionValidator(job.catalogue(), agent, job.agent().memoryMaxChars())
                            .validate(r.content());
            if (v.valid()) {
                ok(
                        what,
                        "answered in "
                                + r.latencyMs()
                                + " ms with a valid decision ("
                                + v.actions().size()
                                + " action(s)), "
                                + r.promptTokens()
                                + "+"
                                + r.completionTokens()
                                + " tokens, llm.structured-output "
                                + options.structuredOutput());
            } else {
                fail(
                        what,
                        "answered, but not within the catalogue's schema: "
                                + v.error()
                                + "; try llm.structured-output: strict, or another model");
            }
        } catch (Exception e) {
            LlmException le =
                    LlmException.from(
                            e instanceof java.util.concurrent.ExecutionException
                                    ? e.getCause()
                                    : e);
            fail(what, le.getMessage() + hint(le));
        }
    }

    private static String hint(LlmException e) {
        switch (e.status()) {
            case 401:
            case 403:
                return "; check llm.api-key (OPENAI_API_KEY)";
            case 404:
                return "; check llm.base-url (it ends in /v1) and llm.model";
            case 400:
            case 422:
                return "; the endpoint refused the request: if it names the schema, try"
                        + " llm.structured-output: schema or json-object";
            default:
                return e.status() == 0 ? "; check llm.base-url and that the endpoint is up" : "";
        }
    }

    /** The checks as a table, one line each. */
    static String render(List<Check> checks) {
        StringBuilder s = new StringBuilder();
        int width = 10;
        for (Check c : checks) {
            width = Math.max(width, Math.min(60, c.what().length()));
        }
        for (Check c : checks) {
            s.append(
                    String.format(
                            "%-4s %-" + width + "s  %s%n",
                            c.ok() ? "ok" : "FAIL",
                            c.what(),
                            c.detail()));
        }
        return s.toString();
    }
}
