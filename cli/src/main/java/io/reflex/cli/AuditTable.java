package io.reflex.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.operators.model.Json;
import io.reflex.sandbox.TopicReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The per-key table that {@code demo} and {@code run} print at the end, built from the audit topic
 * (one record per LLM interaction): for each key, its triggers, LLM calls, coalesced triggers,
 * actions, no-action decisions, dead letters, tokens and cost. What it shows is what the audit
 * topic's consumers see.
 */
final class AuditTable {
    private AuditTable() {}

    /** One key's totals. */
    static final class Row {
        long triggers;
        long requests;
        long calls;
        long actions;
        long noAction;
        long deadLetters;
        long tokens;
        double costUsd;

        void add(JsonNode a) {
            int t = a.path("triggers").size();
            triggers += t;
            requests++;
            if ("llm".equals(a.path("answered_by").asText())) {
                calls += a.at("/llm/attempts").asLong();
            }
            switch (a.path("outcome").asText()) {
                case "actions":
                    actions += a.at("/decision/actions").size();
                    break;
                case "no_action":
                    noAction++;
                    break;
                default:
                    deadLetters += t;
            }
            tokens += a.at("/llm/prompt_tokens").asLong() + a.at("/llm/completion_tokens").asLong();
            costUsd += a.at("/llm/cost_usd").asDouble();
        }
    }

    /**
     * The committed audit records of {@code topic} that ended at or after {@code sinceMs}, read
     * with the job file's client properties.
     */
    static List<JsonNode> read(
            String bootstrapServers,
            Map<String, String> clientProperties,
            String topic,
            long sinceMs) {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.readAll(
                        bootstrapServers, clientProperties, topic, Duration.ofSeconds(30))) {
            try {
                JsonNode a = Json.MAPPER.readTree(r.value());
                if (a.path("ended_at").asLong() >= sinceMs) {
                    out.add(a);
                }
            } catch (Exception e) {
                // not an audit record: left out of the table
            }
        }
        return out;
    }

    /** The table of {@code records}, at most {@code maxRows} keys, then the totals. */
    static String render(List<JsonNode> records, int maxRows) {
        Map<String, Row> rows = new TreeMap<>();
        Row total = new Row();
        for (JsonNode a : records) {
            rows.computeIfAbsent(a.path("key").asText(), k -> new Row()).add(a);
            total.add(a);
        }
        StringBuilder s = new StringBuilder();
        String format = "%-12s %8s %9s %9s %7s %9s %12s %8s %10s%n";
        s.append(
                String.format(
                        format,
                        "key",
                        "triggers",
                        "llm_calls",
                        "coalesced",
                        "actions",
                        "no_action",
                        "dead_letters",
                        "tokens",
                        "cost_usd"));
        int shown = 0;
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            if (shown++ == maxRows) {
                s.append(String.format("... and %d more keys%n", rows.size() - maxRows));
                break;
            }
            s.append(line(format, e.getKey(), e.getValue()));
        }
        s.append(line(format, "all " + rows.size(), total));
        return s.toString();
    }

    private static String line(String format, String key, Row r) {
        return String.format(
                format,
                key.length() > 12 ? key.substring(0, 11) + "~" : key,
                r.triggers,
                r.calls,
                r.triggers - r.requests,
                r.actions,
                r.noAction,
                r.deadLetters,
                r.tokens,
                String.format(java.util.Locale.ROOT, "%.6f", r.costUsd));
    }
}
