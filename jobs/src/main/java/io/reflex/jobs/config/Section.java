package io.reflex.jobs.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One object of the job file, read with its path so that every problem names where it is. Problems
 * are collected, never thrown, so that a file is refused with all of them at once.
 */
final class Section {
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

    String path() {
        return path;
    }

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

    /** Reports keys that this section does not know, which are usually typos. */
    void onlyKeys(Set<String> known) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String k = names.next();
            if (!known.contains(k)) {
                problems.add(
                        at(k)
                                + ": unknown key (known keys: "
                                + String.join(", ", new java.util.TreeSet<>(known))
                                + ")");
            }
        }
    }

    String string(String key, String fallback) {
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

    String requiredString(String key) {
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

    long number(String key, long fallback, long min, long max) {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(s.trim());
            if (n < min || n > max) {
                problem(key, "must be between " + min + " and " + max + ", was " + n);
                return fallback;
            }
            return n;
        } catch (NumberFormatException e) {
            problem(key, "expected a whole number, was '" + s + "'");
            return fallback;
        }
    }

    double decimal(String key, double fallback, double min, double max) {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        try {
            double n = Double.parseDouble(s.trim());
            if (!(n >= min && n <= max)) {
                problem(key, "must be between " + min + " and " + max + ", was " + n);
                return fallback;
            }
            return n;
        } catch (NumberFormatException e) {
            problem(key, "expected a number, was '" + s + "'");
            return fallback;
        }
    }

    boolean bool(String key, boolean fallback) {
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

    Duration duration(String key, Duration fallback) {
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

    List<String> strings(String key) {
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

    Map<String, String> stringMap(String key) {
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
            return new Section(
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(),
                    at(key),
                    problems,
                    env);
        }
        if (!v.isObject()) {
            problem(key, "expected a mapping");
            return new Section(
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(),
                    at(key),
                    problems,
                    env);
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

    /** The raw node at {@code key} (for embedded JSON Schemas), or null. */
    JsonNode raw(String key) {
        return node.get(key);
    }
}
