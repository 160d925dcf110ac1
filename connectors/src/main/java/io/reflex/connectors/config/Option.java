package io.reflex.connectors.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One key of the job file, defined once: its name, type, default, bounds, allowed values and
 * description. Shaped like Flink's {@code ConfigOption} ({@code
 * Option.key("max-record-bytes").intType().defaultValue(65536).withDescription(...)}), with the
 * bounds a job file needs checked on top.
 *
 * <p>The job-file parser reads every value through its option, the builders take their defaults
 * from it, and the README's reference tables and {@code docs/job.schema.json} are rendered from the
 * same definitions, so that a default lives in one place. Options are immutable: each {@code
 * with...} returns a copy.
 *
 * @param <T> the type of the value
 */
public final class Option<T> {

    /** How a value is written in the file, and what it becomes. */
    public enum Type {
        /** Text; {@link #values()} may restrict it. */
        TEXT,
        /** A JSON pointer such as {@code /symbol}. */
        POINTER,
        INTEGER,
        LONG,
        DECIMAL,
        BOOLEAN,
        /** {@link Durations}: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 1d}. */
        DURATION,
        /** A list of text values; a single value reads as a list of one. */
        TEXT_LIST,
        /** A mapping of names to text values, for example Kafka client properties. */
        TEXT_MAP,
        /** An embedded JSON Schema, kept as written. */
        JSON_SCHEMA
    }

    private final String key;
    private final Type type;
    private final T defaultValue;
    private final boolean required;
    private String defaultText;
    private String description;
    private T min;
    private T max;
    private List<String> values;
    private List<String> deprecatedKeys;

    private Option(
            String key,
            Type type,
            T defaultValue,
            boolean required,
            String defaultText,
            String description,
            T min,
            T max,
            List<String> values,
            List<String> deprecatedKeys) {
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.required = required;
        this.defaultText = defaultText;
        this.description = description;
        this.min = min;
        this.max = max;
        this.values = values;
        this.deprecatedKeys = deprecatedKeys;
    }

    /** Starts the definition of the key {@code key}, as written in the file. */
    public static Builder key(String key) {
        return new Builder(Objects.requireNonNull(key));
    }

    /** The second step of a definition: the value's type. */
    public static final class Builder {
        private final String key;

        private Builder(String key) {
            this.key = key;
        }

        public TypedBuilder<String> stringType() {
            return new TypedBuilder<>(key, Type.TEXT);
        }

        public TypedBuilder<String> pointerType() {
            return new TypedBuilder<>(key, Type.POINTER);
        }

        public TypedBuilder<Integer> intType() {
            return new TypedBuilder<>(key, Type.INTEGER);
        }

        public TypedBuilder<Long> longType() {
            return new TypedBuilder<>(key, Type.LONG);
        }

        public TypedBuilder<Double> doubleType() {
            return new TypedBuilder<>(key, Type.DECIMAL);
        }

        public TypedBuilder<Boolean> booleanType() {
            return new TypedBuilder<>(key, Type.BOOLEAN);
        }

        public TypedBuilder<Duration> durationType() {
            return new TypedBuilder<>(key, Type.DURATION);
        }

        public TypedBuilder<List<String>> stringListType() {
            return new TypedBuilder<>(key, Type.TEXT_LIST);
        }

        public TypedBuilder<Map<String, String>> mapType() {
            return new TypedBuilder<>(key, Type.TEXT_MAP);
        }

        /** An embedded JSON Schema; the parser reads it raw. */
        public Option<Object> jsonSchemaType() {
            return new TypedBuilder<>(key, Type.JSON_SCHEMA).noDefaultValue();
        }
    }

    /** The last step of a definition: the default, or none. */
    public static final class TypedBuilder<T> {
        private final String key;
        private final Type type;

        private TypedBuilder(String key, Type type) {
            this.key = key;
            this.type = type;
        }

        public Option<T> defaultValue(T value) {
            return build(Objects.requireNonNull(value), false);
        }

        /** No default: the value is null (or empty, for lists and maps) when the key is absent. */
        public Option<T> noDefaultValue() {
            return build(null, false);
        }

        /** The key must be given, and a text must not be empty. */
        public Option<T> required() {
            return build(null, true);
        }

        private Option<T> build(T defaultValue, boolean required) {
            return new Option<>(
                    key, type, defaultValue, required, null, "", null, null, List.of(), List.of());
        }
    }

    /** The description shown in the README's tables and the JSON Schema (Markdown). */
    public Option<T> withDescription(String description) {
        return copy(o -> o.description = Objects.requireNonNull(description));
    }

    /** The default as the docs show it, where it is not a plain value ({@code reflex-<job>}). */
    public Option<T> withDefaultText(String text) {
        return copy(o -> o.defaultText = text);
    }

    /** Values below {@code min} or above {@code max} are refused. Either may be null. */
    public Option<T> between(T min, T max) {
        return copy(
                o -> {
                    o.min = min;
                    o.max = max;
                });
    }

    /** Only these texts are accepted. */
    public Option<T> withValues(String... allowed) {
        return copy(o -> o.values = List.of(allowed));
    }

    /** Older names of the key: they still read, with a warning, and not together with the key. */
    public Option<T> withDeprecatedKeys(String... keys) {
        return copy(o -> o.deprecatedKeys = List.of(keys));
    }

    /** A copy with {@code change} applied: options are never changed once built. */
    private Option<T> copy(Consumer<Option<T>> change) {
        Option<T> c =
                new Option<>(
                        key,
                        type,
                        defaultValue,
                        required,
                        defaultText,
                        description,
                        min,
                        max,
                        values,
                        deprecatedKeys);
        change.accept(c);
        return c;
    }

    public String key() {
        return key;
    }

    public Type type() {
        return type;
    }

    /** The value used when the key is absent; null when there is none. */
    public T defaultValue() {
        return defaultValue;
    }

    public boolean isRequired() {
        return required;
    }

    public String description() {
        return description;
    }

    /** The lower bound, or null. */
    public T min() {
        return min;
    }

    /** The upper bound, or null. */
    public T max() {
        return max;
    }

    /** The accepted texts; empty when any is. */
    public List<String> values() {
        return values;
    }

    public List<String> deprecatedKeys() {
        return deprecatedKeys;
    }

    /**
     * The default as the docs show it: {@code required}, the text given with {@link
     * #withDefaultText}, the value as a job file would write it, or empty when there is none.
     */
    public String defaultText() {
        if (defaultText != null) {
            return defaultText;
        }
        if (required) {
            return "required";
        }
        if (defaultValue == null) {
            return "";
        }
        return "`" + write(defaultValue) + "`";
    }

    /** {@code value} as a job file writes it: {@code 10s}, {@code 3}, {@code 0.2}. */
    public static String write(Object value) {
        if (value instanceof Duration) {
            return Durations.format((Duration) value);
        }
        if (value instanceof Double) {
            return BigDecimal.valueOf((Double) value).stripTrailingZeros().toPlainString();
        }
        return String.valueOf(value);
    }

    @Override
    public String toString() {
        return "Option[" + key + ", " + type + "]";
    }
}
