package io.reflex.operators.llm;

import java.io.Serializable;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the provider says of its quota in an answer's {@code x-ratelimit-*} headers, as OpenAI and
 * compatible endpoints send them on every answer, 429s included: per dimension, the limit, what
 * remains and how long until the quota is whole again. A dimension the answer does not report is
 * -1. The quota is the account's, shared by every subtask and every other client of the key, so
 * what remains is the one figure that tells a subtask what the others have spent.
 *
 * @param limitRequests {@code x-ratelimit-limit-requests}
 * @param remainingRequests {@code x-ratelimit-remaining-requests}
 * @param resetRequestsMs {@code x-ratelimit-reset-requests}, in milliseconds
 * @param limitTokens {@code x-ratelimit-limit-tokens}
 * @param remainingTokens {@code x-ratelimit-remaining-tokens}
 * @param resetTokensMs {@code x-ratelimit-reset-tokens}, in milliseconds
 */
public record RateLimits(
        long limitRequests,
        long remainingRequests,
        long resetRequestsMs,
        long limitTokens,
        long remainingTokens,
        long resetTokensMs)
        implements Serializable {

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");

    /** The headers' figures, or null when the answer reports neither dimension's remainder. */
    public static RateLimits from(Function<String, List<String>> headers) {
        long remainingRequests = number(headers.apply("x-ratelimit-remaining-requests"));
        long remainingTokens = number(headers.apply("x-ratelimit-remaining-tokens"));
        if (remainingRequests < 0 && remainingTokens < 0) {
            return null;
        }
        return new RateLimits(
                number(headers.apply("x-ratelimit-limit-requests")),
                remainingRequests,
                durationMs(first(headers.apply("x-ratelimit-reset-requests"))),
                number(headers.apply("x-ratelimit-limit-tokens")),
                remainingTokens,
                durationMs(first(headers.apply("x-ratelimit-reset-tokens"))));
    }

    /**
     * A reset time as OpenAI writes it ({@code 1s}, {@code 6m0s}, {@code 20ms}, {@code 1.5s},
     * {@code 1h2m3.5s}), or a bare number of seconds; -1 when absent or unreadable.
     */
    public static long durationMs(String text) {
        if (text == null || text.isBlank()) {
            return -1;
        }
        String t = text.trim();
        try {
            return Math.round(Double.parseDouble(t) * 1000);
        } catch (NumberFormatException notBare) {
            // units follow
        }
        Matcher m = DURATION_PART.matcher(t);
        double ms = 0;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                return -1;
            }
            double v = Double.parseDouble(m.group(1));
            ms +=
                    switch (m.group(2)) {
                        case "h" -> v * 3_600_000;
                        case "m" -> v * 60_000;
                        case "s" -> v * 1_000;
                        default -> v;
                    };
            end = m.end();
        }
        return end == t.length() && end > 0 ? Math.round(ms) : -1;
    }

    private static String first(List<String> values) {
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static long number(List<String> values) {
        Double v = headerNumber(values);
        return v == null ? -1 : v.longValue();
    }

    /** A header's first value as a finite number of at least 0, or null. */
    static Double headerNumber(List<String> values) {
        String v = first(values);
        if (v == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(v.trim());
            return d >= 0 && Double.isFinite(d) ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
