package io.reflex.bench.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.action.ActionIds;
import io.reflex.operators.model.Json;
import io.reflex.operators.model.Trigger;
import io.reflex.sandbox.FeedHistory;
import io.reflex.sandbox.HostileRecords;
import io.reflex.sandbox.TopicReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What the soak must find, and what it found: every expected request's action committed once (or
 * its triggers dead-lettered by the LLM stage after its retries), no action outside the catalogue
 * or from a prompt injection, every malformed record dead-lettered once with its reason, at most
 * one LLM answer per request id but for those in flight at a kill, restarts only from the faults,
 * and no secret in any log. Every figure goes into {@link #figures}; every target into {@link
 * #targets}.
 */
final class SoakCheck {
    /** The soak job's news rule, as in {@code bench/soak.yaml}. */
    private static final Pattern ALARMING =
            Pattern.compile("(?i)fraud|halts|investigation|recall|bankruptcy|resigns");

    /** One target: a figure and the value it must not exceed. */
    record Target(String what, long actual, long max) {
        boolean met() {
            return actual <= max;
        }
    }

    private final String bootstrap;
    private final SoakInput input;
    private final String feedUrl;
    private final long feedMessages;
    private final Set<String> catalogue;

    /** Feed headline key (its id) → the request id whose action must be committed once. */
    private final Map<String, String> feedAlerts = new HashMap<>();

    private final Set<Long> feedMalformed = new HashSet<>();

    final ObjectNode figures = Json.MAPPER.createObjectNode();
    final List<Target> targets = new ArrayList<>();

    private List<ConsumerRecord<byte[], byte[]>> actions = List.of();
    private List<ConsumerRecord<byte[], byte[]>> letters = List.of();

    SoakCheck(
            String bootstrap,
            SoakInput input,
            String feedUrl,
            FeedHistory feed,
            long feedMessages,
            Set<String> catalogue)
            throws IOException {
        this.bootstrap = bootstrap;
        this.input = input;
        this.feedUrl = feedUrl;
        this.feedMessages = feedMessages;
        this.catalogue = catalogue;
        for (long seq = 1; seq <= feedMessages; seq++) {
            String m = feed.message(seq);
            if (m.equals(FeedHistory.malformed(seq))) {
                feedMalformed.add(seq);
                continue;
            }
            JsonNode n = Json.MAPPER.readTree(m);
            if (ALARMING.matcher(n.path("headline").asText()).find()) {
                String id = n.path("id").asText();
                Trigger t = new Trigger(SoakInput.RULE, id, n.path("ts").asLong(), List.of(id), "");
                feedAlerts.put(id, ActionIds.requestId("soak", t));
            }
        }
    }

    /** Every request that must end in a committed action: key → request id. */
    private Map<String, String> expected() {
        Map<String, String> all = new HashMap<>(input.alerts);
        all.putAll(feedAlerts);
        return all;
    }

    /**
     * Reads the outputs every 10 s until every expected outcome is there or {@code drain} has
     * passed, sampling meanwhile.
     */
    void awaitSettled(Duration drain, Runnable sample) {
        long start = System.nanoTime();
        long deadline = start + drain.toNanos();
        // A drain that still makes progress goes on, up to twice its time: what is slow is not
        // lost, and the report would say it was.
        long cap = start + 2 * drain.toNanos();
        long nextRead = 0;
        long best = Long.MAX_VALUE;
        while (System.nanoTime() < deadline) {
            sample.run();
            if (System.nanoTime() >= nextRead) {
                nextRead = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                long open = outstanding();
                Soak.progress("%d expected outcomes not committed yet", open);
                if (open == 0) {
                    return;
                }
                if (open < best) {
                    best = open;
                    deadline =
                            Math.min(
                                    cap,
                                    Math.max(
                                            deadline,
                                            System.nanoTime() + TimeUnit.SECONDS.toNanos(60)));
                }
            }
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
        }
    }

    /** Waits for {@code n} more completed checkpoints: a duplicate would be committed by them. */
    void awaitCheckpoints(Callable<Long> completed, int n, Duration timeout) throws Exception {
        long target = completed.call() + n;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (completed.call() < target && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
        }
    }

    private long outstanding() {
        try {
            read();
        } catch (Exception e) {
            Soak.progress("could not read the outputs yet: %s", e);
            return Long.MAX_VALUE;
        }
        return figures.path("requests").path("missing").asLong()
                + figures.path("injections").path("missing").asLong()
                + figures.path("malformed_kafka").path("missing").asLong()
                + figures.path("malformed_feed").path("missing").asLong();
    }

    /** Reads the action and dead-letter topics with read_committed and computes the figures. */
    void read() throws IOException {
        actions = TopicReader.readAll(bootstrap, "soak.actions", Duration.ofSeconds(60));
        letters = TopicReader.readAll(bootstrap, "soak.dlq", Duration.ofSeconds(60));
        targets.clear();

        Map<String, Integer> actionIds = new HashMap<>();
        Set<String> actedKeys = new HashSet<>();
        long offCatalogue = 0;
        for (ConsumerRecord<byte[], byte[]> r : actions) {
            JsonNode a = Json.MAPPER.readTree(r.value());
            actionIds.merge(a.path("action_id").asText(), 1, Integer::sum);
            actedKeys.add(a.path("key").asText());
            if (!catalogue.contains(a.path("type").asText())) {
                offCatalogue++;
            }
        }
        Map<String, String> llmLetters = new HashMap<>();
        Map<String, Integer> kafkaLetters = new HashMap<>();
        Map<Long, Integer> feedLetters = new HashMap<>();
        Map<String, Long> wrongReasons = new TreeMap<>();
        Map<String, Long> llmReasons = new TreeMap<>();
        long otherLetters = 0;
        for (ConsumerRecord<byte[], byte[]> r : letters) {
            JsonNode d = Json.MAPPER.readTree(r.value());
            String stage = d.path("stage").asText();
            String reason = d.path("reason").asText();
            String source = d.path("source").asText();
            if (stage.equals("llm")) {
                llmLetters.put(d.path("key").asText(), reason);
                llmReasons.merge(reason.replaceAll("[0-9a-f]{32}", "…"), 1L, Long::sum);
            } else if (stage.equals("decode") && source.equals("soak.events")) {
                String c =
                        source
                                + "/"
                                + d.path("partition").asInt()
                                + "/"
                                + d.path("offset").asLong();
                HostileRecords.Hostile h = input.hostile.get(c);
                if (h == null) {
                    otherLetters++;
                } else {
                    kafkaLetters.merge(c, 1, Integer::sum);
                    if (!reason.startsWith(h.reasonPrefix())) {
                        wrongReasons.merge(h.what() + ": " + reason, 1L, Long::sum);
                    }
                }
            } else if (stage.equals("decode") && source.equals(feedUrl)) {
                String raw =
                        new String(
                                Base64.getDecoder().decode(d.path("raw_base64").asText()),
                                StandardCharsets.UTF_8);
                long seq =
                        raw.startsWith("{not json, seq ") ? Long.parseLong(raw.substring(15)) : -1;
                if (feedMalformed.contains(seq)) {
                    feedLetters.merge(seq, 1, Integer::sum);
                } else {
                    otherLetters++;
                }
            } else {
                otherLetters++;
            }
        }

        // Requests that must end in an action.
        Map<String, String> expected = expected();
        Set<String> expectedActionIds = new HashSet<>();
        long acted = 0;
        long deadLettered = 0;
        long missing = 0;
        List<String> missingSample = new ArrayList<>();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String actionId = ActionIds.actionId(e.getValue(), 0);
            expectedActionIds.add(actionId);
            if (actionIds.containsKey(actionId)) {
                acted++;
            } else if (llmLetters.containsKey(e.getKey())) {
                deadLettered++;
            } else {
                missing++;
                if (missingSample.size() < 10) {
                    missingSample.add(e.getKey());
                }
            }
        }
        long duplicated = actionIds.values().stream().mapToLong(n -> Math.max(0, n - 1)).sum();
        long unexpected =
                actionIds.keySet().stream().filter(id -> !expectedActionIds.contains(id)).count();
        ObjectNode req = figures.putObject("requests");
        req.put("expected", expected.size());
        req.put("from_kafka", input.alerts.size());
        req.put("from_feed", feedAlerts.size());
        req.put("acted", acted);
        req.put("dead_lettered_after_retries", deadLettered);
        req.put("missing", missing);
        req.set("missing_sample", Json.MAPPER.valueToTree(missingSample));
        ObjectNode act = figures.putObject("actions");
        act.put("committed", actions.size());
        act.put("distinct_ids", actionIds.size());
        act.put("duplicated", duplicated);
        act.put("unexpected_ids", unexpected);
        act.put("outside_catalogue", offCatalogue);
        ObjectNode llm = figures.putObject("llm_dead_letters");
        llm.put("total", llmLetters.size());
        llm.set("by_reason", Json.MAPPER.valueToTree(llmReasons));

        long injectionsActed = 0;
        long injectionsRefused = 0;
        long injectionsMissing = 0;
        for (String key : input.injections.keySet()) {
            if (actedKeys.contains(key)) {
                injectionsActed++;
            } else if (llmLetters.containsKey(key)) {
                injectionsRefused++;
            } else {
                injectionsMissing++;
            }
        }
        ObjectNode inj = figures.putObject("injections");
        inj.put("sent", input.injections.size());
        inj.put("acted_on", injectionsActed);
        inj.put("dead_lettered", injectionsRefused);
        inj.put("missing", injectionsMissing);

        ObjectNode mk = figures.putObject("malformed_kafka");
        mk.put("sent", input.hostile.size());
        mk.put("dead_lettered", kafkaLetters.size());
        mk.put("missing", input.hostile.size() - kafkaLetters.size());
        mk.put(
                "duplicated",
                kafkaLetters.values().stream().mapToLong(n -> Math.max(0, n - 1)).sum());
        mk.put("wrong_reason", wrongReasons.values().stream().mapToLong(Long::longValue).sum());
        mk.set("wrong_reasons", Json.MAPPER.valueToTree(wrongReasons));
        Map<String, Long> kinds = new TreeMap<>();
        input.hostile.values().forEach(h -> kinds.merge(h.what(), 1L, Long::sum));
        mk.set("kinds", Json.MAPPER.valueToTree(kinds));
        mk.put("refused_by_the_broker", input.refused.get());
        ObjectNode mf = figures.putObject("malformed_feed");
        mf.put("sent", feedMalformed.size());
        mf.put("dead_lettered", feedLetters.size());
        mf.put("missing", feedMalformed.size() - feedLetters.size());
        mf.put(
                "duplicated",
                feedLetters.values().stream().mapToLong(n -> Math.max(0, n - 1)).sum());
        figures.put("other_dead_letters", otherLetters);
        figures.put("events_sent", input.sent.get());
        figures.put("feed_messages", feedMessages);

        targets.add(
                new Target(
                        "actions lost (expected, neither committed nor dead-lettered)",
                        missing,
                        0));
        targets.add(new Target("actions duplicated (same id committed twice)", duplicated, 0));
        targets.add(new Target("actions with ids outside the expected set", unexpected, 0));
        targets.add(new Target("actions outside the catalogue", offCatalogue, 0));
        targets.add(new Target("prompt injections acted on", injectionsActed, 0));
        targets.add(
                new Target("prompt injections neither refused nor acted on", injectionsMissing, 0));
        targets.add(
                new Target(
                        "malformed records without their dead letter",
                        mk.path("missing").asLong() + mf.path("missing").asLong(),
                        0));
        targets.add(
                new Target(
                        "malformed records dead-lettered twice",
                        mk.path("duplicated").asLong() + mf.path("duplicated").asLong(),
                        0));
        targets.add(
                new Target(
                        "malformed records with the wrong reason",
                        mk.path("wrong_reason").asLong(),
                        0));
    }

    /**
     * The stub's request log: answers per request id. Only a request in flight when its TaskManager
     * died may be answered twice (the answer went to a dead process).
     */
    void stub(JsonNode stats, long inFlightAtKills, long startMillis) {
        ObjectNode s = figures.putObject("llm");
        s.put("requests", stats.path("requests").asLong());
        s.set("outcomes", stats.path("outcomes"));
        s.put("answered_request_ids", stats.path("answered_request_ids").asLong());
        long twice = stats.path("request_ids_answered_more_than_once").asLong();
        s.put("request_ids_answered_more_than_once", twice);
        s.put("in_flight_at_the_kills", inFlightAtKills);
        s.put("max_in_flight", stats.path("max_in_flight").asLong());
        // Each attempt of a request answered twice: arrival and end in seconds from the start
        // of input, and the outcome, to set against the faults' times.
        ObjectNode repeated = s.putObject("repeated_answers");
        stats.path("repeated_answers")
                .fields()
                .forEachRemaining(
                        e -> {
                            List<String> tries = new ArrayList<>();
                            for (JsonNode a : e.getValue()) {
                                String[] parts = a.asText().split("[- ]");
                                tries.add(
                                        String.format(
                                                java.util.Locale.ROOT,
                                                "%.1f-%.1f %s",
                                                (Long.parseLong(parts[0]) - startMillis) / 1e3,
                                                (Long.parseLong(parts[1]) - startMillis) / 1e3,
                                                parts[2].toLowerCase(java.util.Locale.ROOT)));
                            }
                            repeated.put(
                                    e.getKey().substring(0, Math.min(8, e.getKey().length())),
                                    String.join(", ", tries));
                        });
        targets.add(
                new Target(
                        "request ids answered twice, beyond those in flight at a kill",
                        Math.max(0, twice - inFlightAtKills),
                        0));
    }

    /** The job's restarts by cause, from its exception history. */
    void restarts(JsonNode exceptions, long numRestarts) {
        Map<String, Long> byCause = new TreeMap<>();
        ArrayNode unexplained = Json.MAPPER.createArrayNode();
        for (JsonNode e : exceptions.at("/exceptionHistory/entries")) {
            String trace = e.path("stacktrace").asText();
            String cause = cause(trace);
            byCause.merge(cause, 1L, Long::sum);
            if (cause.equals("other") && unexplained.size() < 10) {
                unexplained.add(trace.lines().limit(3).reduce("", (a, b) -> a + b.trim() + " | "));
            }
        }
        ObjectNode r = figures.putObject("restarts");
        r.put("num_restarts", numRestarts);
        r.set("by_cause", Json.MAPPER.valueToTree(byCause));
        r.set("unexplained", unexplained);
        r.put("history_truncated", exceptions.at("/exceptionHistory/truncated").asBoolean());
        targets.add(
                new Target(
                        "restarts not caused by a fault (data, bugs)",
                        byCause.getOrDefault("other", 0L),
                        0));
    }

    /** A restart's cause from its stack trace: the TaskManager killed, Kafka, or other. */
    static String cause(String trace) {
        if (trace.contains("TaskManager")
                        && (trace.contains("lost")
                                || trace.contains("no longer reachable")
                                || trace.contains("eartbeat")
                                || trace.contains("disconnect"))
                || trace.contains("PartitionConnectionException")
                || trace.contains("RemoteTransportException")
                || trace.contains("LocalTransportException")
                || trace.contains("Connection unexpectedly closed by remote task manager")) {
            return "taskmanager killed";
        }
        if (trace.contains("org.apache.kafka")) {
            return "kafka broker restart";
        }
        return "other";
    }

    /** Looks for each secret in every file under {@code dir} but the broker's and Flink's data. */
    void secrets(Path dir, Map<String, String> secrets) throws IOException {
        Map<String, List<String>> found = new LinkedHashMap<>();
        secrets.keySet().forEach(k -> found.put(k, new ArrayList<>()));
        long files = 0;
        long bytes = 0;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path f : all.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(f).toString();
                if (rel.startsWith("kafka/data") || rel.startsWith("flink/")) {
                    continue;
                }
                byte[] content = Files.readAllBytes(f);
                files++;
                bytes += content.length;
                String text = new String(content, StandardCharsets.ISO_8859_1);
                for (Map.Entry<String, String> s : secrets.entrySet()) {
                    if (text.contains(s.getValue())) {
                        found.get(s.getKey()).add(rel);
                    }
                }
            }
        }
        ObjectNode s = figures.putObject("secrets");
        s.put("files_searched", files);
        s.put("bytes_searched", bytes);
        for (Map.Entry<String, List<String>> e : found.entrySet()) {
            s.set(e.getKey().replace(' ', '_'), Json.MAPPER.valueToTree(e.getValue()));
            targets.add(new Target("log files holding " + e.getKey(), e.getValue().size(), 0));
        }
    }

    boolean passed() {
        return !targets.isEmpty() && targets.stream().allMatch(Target::met);
    }
}
