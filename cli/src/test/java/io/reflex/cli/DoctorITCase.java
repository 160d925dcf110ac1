package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.FeedServer;
import io.reflex.sandbox.StubLlmServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@code reflex doctor}, each run as {@code bin/reflex} runs it: against the sandbox (a
 * real broker, the stub LLM, a WebSocket feed) every check passes; against a misconfigured job file
 * (a broker port with nothing on it, a missing topic, an LLM endpoint answering 401, a WebSocket
 * URL that refuses) each problem is named with what to change, and it exits 2.
 */
class DoctorITCase {

    private static String yaml(
            String s,
            String broker,
            String sinkBroker,
            String topic,
            String feed,
            String llm,
            String actions) {
        return String.join(
                "\n",
                "job: {name: doctor-" + s + "}",
                "sources:",
                "  - {name: trades, bootstrap-servers: '"
                        + broker
                        + "', topics: ["
                        + topic
                        + "], key: /symbol, event-time: /ts, event-id: /id}",
                "  - {name: news, type: websocket, urls: ['"
                        + feed
                        + "'], key: /symbol, event-time: /ts, event-id: /id}",
                "rules:",
                "  - {id: m, type: match, sources: [news], field: /headline, pattern: fraud}",
                "llm: {base-url: '" + llm + "', model: stub-model, timeout: 5s}",
                "actions:",
                "  - {type: alert, params: {type: object, properties: {severity: {type: string,"
                        + " enum: [low, high]}}, required: [severity], additionalProperties: false}}",
                "sinks:",
                "  bootstrap-servers: '" + sinkBroker + "'",
                "  actions-topic: " + actions,
                "  dead-letter-topic: dlq-" + s,
                "");
    }

    @Test
    void everyCheckPassesAgainstTheSandbox(@TempDir Path dir) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        kafka.createTopics(2, "trades-" + s, "actions-" + s, "dlq-" + s);
        try (StubLlmServer stub = StubLlmServer.start();
                FeedServer feed =
                        FeedServer.start(new FeedServer.Settings(20, 0, null, 0, true), 3)) {
            Path file = dir.resolve("ok.yaml");
            Files.writeString(
                    file,
                    yaml(
                            s,
                            kafka.bootstrapServers(),
                            kafka.bootstrapServers(),
                            "trades-" + s,
                            feed.url(),
                            stub.baseUrl(),
                            "actions-" + s));
            Launched r = Launched.reflex("doctor", file.toString(), "--timeout", "5s");
            System.out.println(r.output());
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output())
                    .contains("ok   kafka " + kafka.bootstrapServers())
                    .contains("ok   topic trades-" + s)
                    .contains("2 partition(s), source trades")
                    .contains("ok   sink topics")
                    .containsPattern("ok   websocket .*connected; the first message decodes: key")
                    .containsPattern("ok   llm .* answered in \\d+ ms with a valid decision")
                    .contains("all 5 checks pass");
            assertThat(stub.requests()).as("one question to the LLM").isEqualTo(1);

            // The question offers the agent's tools: a model that calls one passes too.
            stub.setSettings(StubLlmServer.Settings.healthy().withToolCalls(1.0));
            Launched tools = Launched.reflex("doctor", file.toString(), "--timeout", "5s");
            assertThat(tools.exit()).as(tools.output()).isZero();
            assertThat(tools.output())
                    .containsPattern("ok   llm .* with a call of the tool 'recent_events'");
            assertThat(stub.count(StubLlmServer.Outcome.TOOL_CALL)).isEqualTo(1);
        }
    }

    @Test
    void eachMisconfigurationIsNamedAndTheExitCodeIs2(@TempDir Path dir) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        String s = UUID.randomUUID().toString().substring(0, 8);
        kafka.createTopics(2, "actions-" + s, "dlq-" + s);
        HttpServer unauthorized = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        unauthorized.createContext(
                "/v1/chat/completions",
                ex -> {
                    byte[] body =
                            ("{\"error\":{\"message\":\"Incorrect API key provided.\",\"type\":"
                                            + "\"invalid_request_error\",\"code\":"
                                            + "\"invalid_api_key\"}}")
                                    .getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().add("Content-Type", "application/json");
                    ex.sendResponseHeaders(401, body.length);
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(body);
                    }
                });
        unauthorized.start();
        try {
            Path file = dir.resolve("bad.yaml");
            String llm = "http://127.0.0.1:" + unauthorized.getAddress().getPort() + "/v1";
            // The sources' broker is real but lacks their topic; the sinks' broker is a port with
            // nothing on it; the feed refuses.
            Files.writeString(
                    file,
                    yaml(
                            s,
                            kafka.bootstrapServers(),
                            "127.0.0.1:1",
                            "missing-" + s,
                            "ws://127.0.0.1:1/feed",
                            llm,
                            "actions-" + s));
            Launched r = Launched.reflex("doctor", file.toString(), "--timeout", "3s");
            System.out.println(r.output());
            assertThat(r.exit()).as(r.output()).isEqualTo(2);
            assertThat(r.output())
                    .contains("FAIL kafka 127.0.0.1:1")
                    .contains("check bootstrap-servers and the security properties")
                    .contains("ok   kafka " + kafka.bootstrapServers())
                    .containsPattern(
                            "FAIL topic +sources\\[0\\] \\(trades\\).topics: topic 'missing-"
                                    + s
                                    + "' does not exist")
                    .containsPattern("FAIL websocket ws://127.0.0.1:1/feed +handshake failed")
                    .containsPattern("FAIL llm .*HTTP 401.*check llm.api-key")
                    .contains("checks fail")
                    .doesNotContain("\tat ");
        } finally {
            unauthorized.stop(0);
        }
    }
}
