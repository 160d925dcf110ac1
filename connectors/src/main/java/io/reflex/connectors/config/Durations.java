package io.reflex.connectors.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Job-file durations: {@code 250ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 1d}, one number
 * and one unit.
 */
public final class Durations {
    /** The form of a duration, as the job file's JSON Schema publishes it. */
    public static final String REGEX = "\\s*(\\d+)\\s*(ms|s|m|h|d)\\s*";

    private static final Pattern FORMAT = Pattern.compile(REGEX);

    private Durations() {}

    /** The duration, or null when {@code text} is not one. */
    public static Duration parse(String text) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            default:
                return Duration.ofDays(n);
        }
    }

    /** {@code d} in the largest unit that writes it whole, as a job file would: {@code 90s}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            if (ms % sizes[i] == 0) {
                return ms / sizes[i] + units[i];
            }
        }
        throw new AssertionError("unreachable: every whole millisecond divides by 1");
    }
}
