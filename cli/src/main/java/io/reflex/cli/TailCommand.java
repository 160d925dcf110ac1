package io.reflex.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.jobs.cli.Cli;
import io.reflex.jobs.config.JobFile;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.TopicReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code reflex tail TOPIC}: prints the committed records of a Reflex topic readably, one line
 * each: actions, dead letters, audit and state records and journal entries, anything else as its
 * JSON. It reads read_committed, with the client properties of a job file's sinks when one is
 * given.
 */
@Command(
        name = "tail",
        description =
                "Prints a topic's committed records readably, one line each: actions, dead"
                        + " letters, audit and state records, and LLM journal entries (anything"
                        + " else as JSON). Follows new records"
                        + " until --max, --duration or Ctrl-C.")
final class TailCommand implements Callable<Integer> {
    private static final PrintStream OUT =
            new PrintStream(System.out, true, StandardCharsets.UTF_8);

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "TOPIC", description = "the topic")
    String topic;

    @Option(
            names = "--job-file",
            paramLabel = "FILE",
            description = "take the brokers and client properties (security) from its sinks")
    Path jobFile;

    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOSTS",
            description = "the brokers, without a job file")
    String bootstrapServers;

    @Option(names = "--key", paramLabel = "K", description = "only records about this entity key")
    String key;

    @Option(names = "--from-beginning", description = "start at the oldest record, not at the end")
    boolean fromBeginning;

    @Option(names = "--max", paramLabel = "N", description = "stop after printing N records")
    long max = Long.MAX_VALUE;

    @Option(names = "--duration", paramLabel = "D", description = "stop after this long (30s, 5m)")
    Duration duration;

    @Override
    public Integer call() throws Exception {
        Map<String, String> clientProperties = Map.of();
        if (jobFile != null) {
            JobFile job = Cli.jobFile(jobFile, System.getenv());
            clientProperties = job.sinks().properties();
            if (bootstrapServers == null) {
                bootstrapServers = job.sinks().bootstrapServers();
            }
        }
        if (bootstrapServers == null) {
            throw new ParameterException(
                    spec.commandLine(),
                    "give --bootstrap-servers, or --job-file to take them from");
        }
        Properties props = TopicReader.readCommittedProperties(bootstrapServers, clientProperties);
        long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        long printed = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .collect(Collectors.toList());
            if (partitions.isEmpty()) {
                System.err.println("reflex tail: no topic '" + topic + "' on " + bootstrapServers);
                return Cli.USAGE;
            }
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            while (printed < max && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode v = json(r.value());
                    if (key != null && !key.equals(keyOf(r, v))) {
                        continue;
                    }
                    OUT.println(describe(r, v));
                    if (++printed >= max) {
                        break;
                    }
                }
            }
        }
        return Cli.OK;
    }

    private static JsonNode json(byte[] value) {
        try {
            return value == null ? null : Json.MAPPER.readTree(value);
        } catch (Exception e) {
            return null;
        }
    }

    private static String keyOf(ConsumerRecord<byte[], byte[]> r, JsonNode v) {
        if (v != null && v.hasNonNull("key")) {
            return v.get("key").asText();
        }
        if (v != null && v.at("/entry/key").isTextual()) {
            return v.at("/entry/key").asText();
        }
        return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    }

    /** One line for a record: what it is, by its fields. */
    static String describe(ConsumerRecord<byte[], byte[]> r, JsonNode v) {
        String at = r.partition() + "/" + r.offset();
        if (v == null) {
            return at + "  (not JSON, " + (r.value() == null ? 0 : r.value().length) + " bytes)";
        }
        if (v.has("action_id")) {
            return at + "  " + ActionTail.describe(r.value());
        }
        if (v.has("stage") && v.has("reason")) {
            return String.format(
                    "%s  dead-letter %-6s %s  \"%s\"  [source=%s raw=%d bytes]",
                    at,
                    v.path("stage").asText(),
                    v.path("key").asText("-"),
                    v.path("reason").asText(),
                    v.path("source").asText(),
                    v.path("raw_bytes").asLong());
        }
        if (v.has("request_id") && v.has("outcome") && v.has("answered_by")) {
            StringBuilder types = new StringBuilder();
            v.at("/decision/actions")
                    .forEach(a -> types.append(' ').append(a.path("type").asText()));
            return String.format(
                    "%s  audit %s  %s%s  request=%s rules=%s by=%s attempts=%d tokens=%d+%d"
                            + " $%.6f %dms%s",
                    at,
                    v.path("key").asText(),
                    v.path("outcome").asText(),
                    types,
                    v.path("request_id").asText(),
                    v.path("rules"),
                    v.path("answered_by").asText(),
                    v.at("/llm/attempts").asInt(),
                    v.at("/llm/prompt_tokens").asLong(),
                    v.at("/llm/completion_tokens").asLong(),
                    v.at("/llm/cost_usd").asDouble(),
                    v.at("/llm/latency_ms").asLong(),
                    v.has("cause") ? "  \"" + v.path("cause").asText() + "\"" : "");
        }
        if (v.has("updated_at") && (v.has("detector") || v.has("decision"))) {
            JsonNode d = v.path("detector");
            JsonNode last = v.path("decision");
            return String.format(
                    "%s  state %s  events=%d last-trigger=%s last-decision=%s  note=\"%s\"",
                    at,
                    v.path("key").asText(),
                    d.path("events_seen").asLong(),
                    d.has("last_trigger") ? d.at("/last_trigger/rule").asText() : "-",
                    last.isMissingNode()
                            ? "-"
                            : last.path("outcome").asText()
                                    + (last.path("actions").isEmpty()
                                            ? ""
                                            : " " + last.at("/actions/0/type").asText()),
                    last.path("memory").asText(""));
        }
        JsonNode e = v.get("entry");
        if (v.has("v") && e != null && e.has("request_id")) {
            return String.format(
                    "%s  journal %s  request=%s triggers=%d tokens=%d+%d llm=%dms  %s",
                    at,
                    e.path("key").asText(),
                    e.path("request_id").asText(),
                    e.path("trigger_ids").size(),
                    e.path("prompt_tokens").asLong(),
                    e.path("completion_tokens").asLong(),
                    e.path("latency_ms").asLong(),
                    e.path("content").asText());
        }
        return at + "  " + v;
    }
}
