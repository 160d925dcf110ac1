package io.reflex.operators.detect;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.model.Json;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluates the value rules ({@code change-pct}, {@code zscore}, {@code match}) against one event
 * and updates the rule's statistics. Pure apart from the {@link RuleStats} it is given; the
 * cooldown and the {@code absence} rule live in {@link Detector}, which owns time.
 */
final class RuleEvaluator {
    private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

    private RuleEvaluator() {}

    /**
     * Updates {@code state} with the event's value of the rule's field and returns what fired, or
     * null. The returned object describes the firing for the trigger's context.
     *
     * @param number the value when it is a finite number, else {@code NaN}: {@code 1e400} parses as
     *     infinity, and one such sample would turn a key's mean and variance into NaN for good
     * @param text the value when it is a string, else null
     */
    static ObjectNode evaluate(
            RuleSpec rule,
            RuleStats state,
            long eventTime,
            double number,
            String text,
            int maxSamples) {
        switch (rule.type()) {
            case CHANGE_PCT:
                return Double.isNaN(number)
                        ? null
                        : changePct(rule, state, eventTime, number, maxSamples);
            case ZSCORE:
                return Double.isNaN(number) ? null : zscore(rule, state, number);
            case MATCH:
                return text != null ? match(rule, state, text) : null;
            default:
                return null;
        }
    }

    private static ObjectNode changePct(
            RuleSpec rule, RuleStats s, long t, double v, int maxSamples) {
        long from = t - rule.windowMs();
        while (s.samples() > 0 && (s.oldestTime() < from || s.samples() >= maxSamples)) {
            s.dropOldest();
        }
        s.count++;
        s.last = v;
        ObjectNode fired = null;
        if (s.samples() > 0) {
            double base = s.oldestValue();
            if (base != 0) {
                double pct = (v - base) / Math.abs(base) * 100.0;
                if (Math.abs(pct) >= rule.thresholdPct()) {
                    fired = Json.MAPPER.createObjectNode();
                    fired.put("change_pct", round(pct));
                    fired.put("from", base);
                    fired.put("to", v);
                    fired.put("window_ms", rule.windowMs());
                }
            }
        }
        s.add(t, v, maxSamples);
        return fired;
    }

    private static ObjectNode zscore(RuleSpec rule, RuleStats s, double v) {
        ObjectNode fired = null;
        if (s.count >= rule.minCount() && s.variance > 0) {
            double z = (v - s.mean) / Math.sqrt(s.variance);
            if (Math.abs(z) >= rule.threshold()) {
                fired = Json.MAPPER.createObjectNode();
                fired.put("zscore", round(z));
                fired.put("value", v);
                fired.put("mean", round(s.mean));
                fired.put("stddev", round(Math.sqrt(s.variance)));
            }
        }
        if (s.count == 0) {
            s.mean = v;
            s.variance = 0;
        } else {
            double diff = v - s.mean;
            double incr = rule.alpha() * diff;
            double mean = s.mean + incr;
            double variance = (1 - rule.alpha()) * (s.variance + diff * incr);
            if (!Double.isFinite(mean) || !Double.isFinite(variance)) {
                // A value near Double.MAX_VALUE overflowed the statistics: start them again
                // rather than keep an infinite variance that no later value could undo.
                s.count = 0;
                s.mean = v;
                s.variance = 0;
            } else {
                s.mean = mean;
                s.variance = variance;
            }
        }
        s.count++;
        s.last = v;
        return fired;
    }

    private static ObjectNode match(RuleSpec rule, RuleStats s, String text) {
        s.count++;
        Matcher m = PATTERNS.computeIfAbsent(rule.pattern(), Pattern::compile).matcher(text);
        if (!m.find()) {
            return null;
        }
        ObjectNode fired = Json.MAPPER.createObjectNode();
        fired.put("matched", m.group());
        return fired;
    }

    private static double round(double d) {
        return Math.round(d * 10_000.0) / 10_000.0;
    }
}
