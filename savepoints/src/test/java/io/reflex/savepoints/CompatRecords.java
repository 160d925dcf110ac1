package io.reflex.savepoints;

import static io.reflex.sandbox.MarketEvents.news;
import static io.reflex.sandbox.MarketEvents.trade;

import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.operators.action.ActionIds;
import io.reflex.operators.model.Trigger;
import io.reflex.sandbox.MarketEvents;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The input behind the committed savepoints, shared by {@link SavepointGenerator} and {@link
 * SavepointCompatibilityITCase}: what was read before each savepoint was taken, and the state it
 * must have left.
 */
final class CompatRecords {
    static final String JOB = "compat";
    static final String EVENTS = "compat.events";
    static final String ACTIONS = "compat.actions";
    static final String DLQ = "compat.dlq";

    /** Keys with quiet prices: detector statistics only. */
    static final List<String> QUIET = List.of("K0", "K1", "K2", "K3", "K4");

    /** Keys whose alarming headline was answered before the savepoint: agent memory. */
    static final List<String> ANSWERED = List.of("M0", "M1");

    /** Keys whose request was still waiting for the LLM when the savepoint was taken. */
    static final List<String> PENDING = List.of("P0", "P1", "P2");

    private CompatRecords() {}

    static JobFile jobFile(String kafka, String llm) throws Exception {
        return new JobFileParser(Map.of("KAFKA", kafka, "LLM", llm))
                .parse(Path.of("src/test/resources/compat/job.yaml"));
    }

    /** Five quiet trades per key and one alarming headline per answered key. */
    static List<String> answeredPhase() {
        List<String> out = new ArrayList<>();
        for (String k : QUIET) {
            for (int i = 0; i < 5; i++) {
                out.add(trade(k + "-" + i, k, 1_000 + i, 100 + i * 0.1));
            }
        }
        for (String k : ANSWERED) {
            out.add(news(k + "-n", k, 2_000, k + " fraud probe"));
        }
        return out;
    }

    /** One alarming headline per pending key. */
    static List<String> pendingPhase() {
        List<String> out = new ArrayList<>();
        for (String k : PENDING) {
            out.add(news(k + "-n", k, 3_000, k + " fraud probe"));
        }
        return out;
    }

    static String pendingRequestId(String key) {
        return ActionIds.requestId(JOB, trigger("alarming-news", key, 3_000, key + "-n"));
    }

    static String actionId(String rule, String key, long ts, String eventId) {
        return ActionIds.actionId(ActionIds.requestId(JOB, trigger(rule, key, ts, eventId)), 0);
    }

    private static Trigger trigger(String rule, String key, long ts, String eventId) {
        return new Trigger(rule, key, ts, List.of(eventId), "");
    }

    static void produce(String bootstrap, List<String> values) {
        MarketEvents.produce(bootstrap, EVENTS, values);
    }
}
