package io.reflex.jobs.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.reflex.connectors.config.Durations;
import io.reflex.connectors.config.Option;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One object of the job file, read with its path so that every problem names where it is. Problems
 * are collected, never thrown, so that a file is refused with all of them at once.
 */
final class Section {
    private static final Logger LOG = LoggerFactory.getLogger(Section.class);

    private final JsonNode node;
    private final String path;
    private final List<String> problems;
    private final Map<String, String> env;

    Section(JsonNode node, String path, List<String> problems, Map<String, String> env) {
        this.node = node;
        this.path = path;
        this.problems = problems;
        this.env = env;
    }

    /** The path of {@code key} in this section, as problems name it. */
    String at(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    void problem(String key, String message) {
        problems.add(at(key) + ": " + message);
    }

    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /**
     * Reports keys that {@code group} does not define, which are usually typos: with the nearest
     * known key when one is close, and the list of them.
     */
    void onlyKeys(OptionGroup group) {
        onlyKeys(group.knownKeys());
    }

    void onlyKeys(Set<String> known) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String k = names.next();
            if (known.contains(k)) {
                continue;
            }
            String near = null;
            int best = 3;
            for (String candidate : known) {
                int d = editDistance(k, candidate);
                if (d < best) {
                    best = d;
                    near = candidate;
                }
            }
            problems.add(
                    at(k)
                            + ": unknown key"
                            + (near == null ? "" : "; did you mean " + near + "?")
                            + " (known keys: "
                            + String.join(", ", new TreeSet<>(known))
                            + ")");
        }
    }

    /**
     * The value of {@code option}: read by its type, checked against its bounds and allowed values,
     * its default when absent. A problem is recorded for a bad value, and the default returned. A
     * deprecated name of the key still reads, with a warning in the log.
     */
    @SuppressWarnings("unchecked")
    <T> T get(Option<T> option) {
        String key = keyOf(option);
        T fallback = option.defaultValue();
        Object value;
        switch (option.type()) {
            case TEXT:
            case POINTER:
                String text = option.isRequired() ? requiredString(key) : string(key, null);
                if (text == null) {
                    return fallback;
                }
                if (option.type() == Option.Type.POINTER && !text.startsWith("/")) {
                    problem(key, "expected a JSON pointer such as /symbol, was '" + text + "'");
                }
                if (!option.values().isEmpty() && !option.values().contains(text)) {
                    problem(key, "expected " + oneOf(option.values()) + ", was '" + text + "'");
                }
                value = text;
                break;
            case INTEGER:
            case LONG:
                long min =
                        option.min() == null ? Long.MIN_VALUE : ((Number) option.min()).longValue();
                long max =
                        option.max() == null ? Long.MAX_VALUE : ((Number) option.max()).longValue();
                Long n = number(key, min, max);
                if (n == null) {
                    return fallback;
                }
                value = option.type() == Option.Type.INTEGER ? (Object) n.intValue() : (Object) n;
                break;
            case DECIMAL:
                double lo = option.min() == null ? -Double.MAX_VALUE : (Double) option.min();
                double hi = option.max() == null ? Double.MAX_VALUE : (Double) option.max();
                Double d = decimal(key, lo, hi);
                if (d == null) {
                    return fallback;
                }
                value = d;
                break;
            case BOOLEAN:
                value = bool(key, (Boolean) fallback);
                break;
            case DURATION:
                Duration duration = duration(key, null);
                if (duration == null) {
                    return fallback;
                }
                if (!within(key, duration, (Duration) option.min(), (Duration) option.max())) {
                    return fallback;
                }
                value = duration;
                break;
            case TEXT_LIST:
                value = strings(key);
                break;
            case TEXT_MAP:
                value = stringMap(key);
                break;
            case JSON_SCHEMA:
                value = node.get(key);
                break;
            default:
                throw new IllegalStateException("unhandled type " + option.type());
        }
        return (T) value;
    }

    /** The key {@code option} is given under: its own, or a deprecated name (with a warning). */
    private String keyOf(Option<?> option) {
        for (String old : option.deprecatedKeys()) {
            if (!has(old)) {
                continue;
            }
            if (has(option.key())) {
                problem(old, "give " + option.key() + " only; " + old + " is its deprecated name");
                return option.key();
            }
            LOG.warn("{} is deprecated: write {}", at(old), option.key());
            return old;
        }
        return option.key();
    }

    private boolean within(String key, Duration d, Duration min, Duration max) {
        if (min != null && d.compareTo(min) < 0) {
            problem(key, "must be at least " + Durations.format(min));
            return false;
        }
        if (max != null && d.compareTo(max) > 0) {
            problem(key, "must be at most " + Durations.format(max));
            return false;
        }
        return true;
    }

    /** The Levenshtein distance: the single-character edits that turn {@code a} into {@code b}. */
    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(substitute, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** {@code a, b or c}. */
    private static String oneOf(List<String> values) {
        int last = values.size() - 1;
        return last == 0
                ? values.get(0)
                : String.join(", ", values.subList(0, last)) + " or " + values.get(last);
    }

    private String string(String key, String fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isValueNode()) {
            problem(key, "expected a text value");
            return fallback;
        }
        return EnvSubstitution.apply(v.asText(), env, at(key), problems);
    }

    private String requiredString(String key) {
        String s = string(key, null);
        if (s == null || s.isBlank()) {
            if (s == null) {
                problem(key, "required");
            } else {
                problem(key, "must not be empty");
            }
            return null;
        }
        return s;
    }

    /** The whole number at {@code key} within the bounds, or null (a problem if it is not one). */
    private Long number(String key, long min, long max) {
        String s = string(key, null);
        if (s == null) {
            return null;
        }
        try {
            long n = Long.parseLong(s.trim());
            if (n < min || n > max) {
                problem(key, "must be between " + min + " and " + max + ", was " + n);
                return null;
            }
            return n;
        } catch (NumberFormatException e) {
            problem(key, "expected a whole number, was '" + s + "'");
            return null;
        }
    }

    /** The number at {@code key} within the bounds, or null (a problem if it is not one). */
    private Double decimal(String key, double min, double max) {
        String s = string(key, null);
        if (s == null) {
            return null;
        }
        try {
            double n = Double.parseDouble(s.trim());
            if (!(n >= min && n <= max)) {
                problem(key, "must be between " + min + " and " + max + ", was " + n);
                return null;
            }
            return n;
        } catch (NumberFormatException e) {
            problem(key, "expected a number, was '" + s + "'");
            return null;
        }
    }

    private boolean bool(String key, boolean fallback) {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        problem(key, "expected true or false, was '" + s + "'");
        return fallback;
    }

    private Duration duration(String key, Duration fallback) {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        Duration d = Durations.parse(s);
        if (d == null) {
            problem(key, "expected a duration such as 500ms, 10s, 5m, 2h or 1d, was '" + s + "'");
            return fallback;
        }
        return d;
    }

    private List<String> strings(String key) {
        JsonNode v = node.get(key);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isValueNode()) {
            out.add(EnvSubstitution.apply(v.asText(), env, at(key), problems));
            return out;
        }
        if (!v.isArray()) {
            problem(key, "expected a list");
            return out;
        }
        for (int i = 0; i < v.size(); i++) {
            out.add(
                    EnvSubstitution.apply(
                            v.get(i).asText(), env, at(key) + "[" + i + "]", problems));
        }
        return out;
    }

    private Map<String, String> stringMap(String key) {
        JsonNode v = node.get(key);
        Map<String, String> out = new LinkedHashMap<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isObject()) {
            problem(key, "expected a mapping of names to values");
            return out;
        }
        v.fields()
                .forEachRemaining(
                        e ->
                                out.put(
                                        e.getKey(),
                                        EnvSubstitution.apply(
                                                e.getValue().asText(),
                                                env,
                                                at(key) + "." + e.getKey(),
                                                problems)));
        return out;
    }

    /** The sub-object at {@code key}; an empty one (and a problem if required) when absent. */
    Section section(String key, boolean required) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            if (required) {
                problem(key, "required");
            }
            return new Section(JsonNodeFactory.instance.objectNode(), at(key), problems, env);
        }
        if (!v.isObject()) {
            problem(key, "expected a mapping");
            return new Section(JsonNodeFactory.instance.objectNode(), at(key), problems, env);
        }
        return new Section(v, at(key), problems, env);
    }

    /** The objects of the list at {@code key}. */
    List<Section> sections(String key, boolean required) {
        JsonNode v = node.get(key);
        List<Section> out = new ArrayList<>();
        if (v == null || v.isNull() || (v.isArray() && v.isEmpty())) {
            if (required) {
                problem(key, "at least one entry is required");
            }
            return out;
        }
        if (!v.isArray()) {
            problem(key, "expected a list");
            return out;
        }
        for (int i = 0; i < v.size(); i++) {
            String p = at(key) + "[" + i + "]";
            if (!v.get(i).isObject()) {
                problems.add(p + ": expected a mapping");
                continue;
            }
            out.add(new Section(v.get(i), p, problems, env));
        }
        return out;
    }
}
