package io.reflex.jobs.config;

import io.reflex.connectors.config.Option;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The keys of one mapping of the job file, in the order the docs list them: its options, and the
 * mappings nested in it. The parser refuses any other key, and the README's tables and the JSON
 * Schema list exactly these.
 *
 * @param path where the mapping is, as the docs write it: {@code llm}, {@code sources[]}, {@code
 *     sources[].reconnect}
 * @param options its keys
 * @param sections the mappings nested in it, by key
 */
public record OptionGroup(String path, List<Option<?>> options, Map<String, OptionGroup> sections) {

    public OptionGroup {
        options = List.copyOf(options);
        sections = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sections));
    }

    public OptionGroup(String path, List<Option<?>> options) {
        this(path, options, Map.of());
    }

    /** Every key the mapping accepts, deprecated names included, sorted. */
    public Set<String> knownKeys() {
        Set<String> keys = new TreeSet<>(sections.keySet());
        for (Option<?> o : options) {
            keys.add(o.key());
            keys.addAll(o.deprecatedKeys());
        }
        return keys;
    }

    /** The mapping nested at {@code key}. */
    public OptionGroup section(String key) {
        OptionGroup g = sections.get(key);
        if (g == null) {
            throw new IllegalArgumentException(path + " has no section " + key);
        }
        return g;
    }
}
