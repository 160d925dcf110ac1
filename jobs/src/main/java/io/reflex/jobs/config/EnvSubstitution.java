package io.reflex.jobs.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Replaces {@code ${VAR}} and {@code ${VAR:-default}} in job-file strings. */
final class EnvSubstitution {
    private static final Pattern VAR =
            Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

    private EnvSubstitution() {}

    /**
     * The text with its variables replaced. An unset variable without a default is reported in
     * {@code problems} under {@code path}.
     */
    static String apply(String text, Map<String, String> env, String path, List<String> problems) {
        Matcher m = VAR.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.get(m.group(1));
            if (value == null || (value.isEmpty() && m.group(2) != null)) {
                value = m.group(2) != null ? m.group(3) : null;
            }
            if (value == null) {
                problems.add(
                        path
                                + ": environment variable "
                                + m.group(1)
                                + " is not set and has no default (write ${"
                                + m.group(1)
                                + ":-default})");
                value = "";
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
