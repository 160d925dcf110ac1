package io.reflex.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.operators.model.Json;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.kafka.common.utils.AppInfoParser;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * One benchmark's report: the machine it ran on, its parameters, a row per measured variant, the
 * ratios against the baselines measured in the same run, the targets, and a bar chart. {@link
 * #write} puts {@code NAME.json}, {@code NAME.md} and {@code NAME.png} into a results directory.
 *
 * <p>Figures are rounded when they are added, so the JSON, the Markdown and the console agree.
 */
public final class BenchReport {
    private final String name;
    private final String title;
    private final String description;
    private final ObjectNode params = Json.MAPPER.createObjectNode();
    private final ArrayNode results = Json.MAPPER.createArrayNode();
    private final ArrayNode ratios = Json.MAPPER.createArrayNode();
    private final ArrayNode targets = Json.MAPPER.createArrayNode();
    private final List<String> notes = new ArrayList<>();
    private final Instant started = Instant.now();
    private Chart chart;

    /** A grouped bar chart: one bar per series in each category. */
    private record Chart(
            String title,
            String yAxis,
            List<String> categories,
            Map<String, List<Double>> series,
            boolean logarithmic) {}

    public BenchReport(String name, String title, String description) {
        this.name = name;
        this.title = title;
        this.description = description;
    }

    public String name() {
        return name;
    }

    /** Records a parameter of the run. */
    public BenchReport param(String key, Object value) {
        params.set(key, Json.MAPPER.valueToTree(value));
        return this;
    }

    /** Adds a result row for {@code variant}; the caller puts its figures into it. */
    public ObjectNode result(String variant) {
        ObjectNode r = results.addObject();
        r.put("variant", variant);
        return r;
    }

    /** The rows added so far. */
    public ArrayNode results() {
        return results;
    }

    /** Records {@code name = value}, with what it compares. */
    public BenchReport ratio(String name, double value, String meaning) {
        ObjectNode r = ratios.addObject();
        r.put("name", name);
        r.put("value", round(value, 3));
        r.put("meaning", meaning);
        System.out.printf("  ratio %-40s %8.3f  (%s)%n", name, round(value, 3), meaning);
        return this;
    }

    /**
     * Records a target from the issue and whether this run met it.
     *
     * @param atLeast true when {@code actual} must be at least {@code target}, false when at most
     */
    public BenchReport target(String what, double target, double actual, boolean atLeast) {
        ObjectNode t = targets.addObject();
        t.put("target", what);
        t.put("threshold", target);
        t.put("actual", round(actual, 3));
        boolean met = atLeast ? actual >= target : actual <= target;
        t.put("met", met);
        System.out.printf(
                "  target %-40s %s (%s %s, was %.3f)%n",
                what, met ? "MET" : "MISSED", atLeast ? ">=" : "<=", target, actual);
        return this;
    }

    /** A sentence for the report: how to read a figure, or why a target was missed. */
    public BenchReport note(String note) {
        notes.add(note);
        return this;
    }

    /** The bar chart of the report. */
    public BenchReport chart(
            String title,
            String yAxis,
            List<String> categories,
            Map<String, List<Double>> series,
            boolean logarithmic) {
        this.chart = new Chart(title, yAxis, categories, new LinkedHashMap<>(series), logarithmic);
        return this;
    }

    /** Rounds to {@code digits} decimals. */
    public static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** The machine and versions, as recorded in every report. */
    public static ObjectNode environment() {
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("cores", Runtime.getRuntime().availableProcessors());
        e.put(
                "jvm",
                System.getProperty("java.vm.name")
                        + " "
                        + System.getProperty("java.runtime.version"));
        e.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        e.put(
                "os",
                System.getProperty("os.name")
                        + " "
                        + System.getProperty("os.version")
                        + " "
                        + System.getProperty("os.arch"));
        long totalMemory = totalPhysicalMemory();
        if (totalMemory > 0) {
            e.put("memory_gb", round(totalMemory / (1024.0 * 1024 * 1024), 1));
        }
        e.put("flink", flinkVersion());
        e.put("kafka", AppInfoParser.getVersion());
        e.put("reflex", "0.1.0-SNAPSHOT");
        return e;
    }

    private static String flinkVersion() {
        String v = EnvironmentInformation.getVersion();
        if (v == null || v.startsWith("<")) {
            Package p = org.apache.flink.streaming.api.datastream.DataStream.class.getPackage();
            v = p.getImplementationVersion() == null ? "2.2.1" : p.getImplementationVersion();
        }
        return v;
    }

    private static long totalPhysicalMemory() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return 0;
    }

    /** The report as JSON. */
    public ObjectNode toJson() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("benchmark", name);
        root.put("title", title);
        root.put("description", description);
        root.put("started", started.truncatedTo(ChronoUnit.SECONDS).toString());
        root.put(
                "duration_s",
                round((Instant.now().toEpochMilli() - started.toEpochMilli()) / 1000.0, 1));
        root.set("environment", environment());
        root.set("params", params);
        root.set("results", results);
        root.set("ratios", ratios);
        root.set("targets", targets);
        ArrayNode n = root.putArray("notes");
        notes.forEach(n::add);
        root.put("reproduce", "bin/reflex bench " + name);
        return root;
    }

    /**
     * Writes {@code NAME.json}, {@code NAME.md} and, with a chart, {@code NAME.png} to {@code dir}.
     */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode json = toJson();
        Files.writeString(
                dir.resolve(name + ".json"),
                Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
        boolean png = false;
        if (chart != null) {
            try {
                png = writeChart(dir.resolve(name + ".png"));
            } catch (RuntimeException e) {
                // A chart that cannot be drawn must not lose the figures.
                System.err.println("could not draw the chart of " + name + ": " + e);
            }
        }
        Files.writeString(dir.resolve(name + ".md"), markdown(json, png));
        System.out.println(
                "wrote " + dir.resolve(name + ".json") + " and .md" + (png ? ", .png" : ""));
    }

    private boolean writeChart(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart c =
                new CategoryChartBuilder()
                        .width(800)
                        .height(450)
                        .title(chart.title())
                        .yAxisTitle(chart.yAxis())
                        .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setYAxisLogarithmic(chart.logarithmic());
        c.getStyler().setLabelsVisible(true);
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (Map.Entry<String, List<Double>> s : chart.series().entrySet()) {
            c.addSeries(s.getKey(), chart.categories(), s.getValue());
        }
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }

    private String markdown(ObjectNode json, boolean png) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmark: ").append(name).append(" — ").append(title).append("\n\n");
        md.append(description).append("\n\n");
        md.append("Run ")
                .append(json.get("started").asText())
                .append(", took ")
                .append(json.get("duration_s").asText())
                .append(" s. Reproduce with `bin/reflex bench ")
                .append(name)
                .append("`.\n\n");
        if (!targets.isEmpty()) {
            md.append(
                    "## Targets\n\n| target | threshold | this run | met |\n| --- | --- | --- | --- |\n");
            for (JsonNode t : targets) {
                row(
                        md,
                        t.get("target").asText(),
                        t.get("threshold").asText(),
                        t.get("actual").asText(),
                        t.get("met").asBoolean() ? "yes" : "**no**");
            }
            md.append("\n");
        }
        if (!ratios.isEmpty()) {
            md.append(
                    "## Ratios (same run)\n\n| ratio | value | compares |\n| --- | --- | --- |\n");
            for (JsonNode r : ratios) {
                row(md, r.get("name").asText(), r.get("value").asText(), r.get("meaning").asText());
            }
            md.append("\n");
        }
        md.append("## Results\n\n");
        table(md, results);
        if (png) {
            md.append("\n![").append(name).append("](").append(name).append(".png)\n");
        }
        if (!notes.isEmpty()) {
            md.append("\n## Notes\n\n");
            notes.forEach(n -> md.append("- ").append(n).append("\n"));
        }
        md.append("\n## Parameters\n\n| parameter | value |\n| --- | --- |\n");
        params.fields().forEachRemaining(e -> row(md, e.getKey(), text(e.getValue())));
        md.append("\n## Environment\n\n| | |\n| --- | --- |\n");
        json.get("environment")
                .fields()
                .forEachRemaining(e -> row(md, e.getKey(), text(e.getValue())));
        return md.toString();
    }

    private static void row(StringBuilder md, String... cells) {
        md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    private static void table(StringBuilder md, ArrayNode rows) {
        Set<String> columns = new LinkedHashSet<>();
        for (JsonNode r : rows) {
            r.fieldNames().forEachRemaining(columns::add);
        }
        md.append("| ").append(String.join(" | ", columns)).append(" |\n|");
        columns.forEach(c -> md.append(" --- |"));
        md.append("\n");
        for (JsonNode r : rows) {
            md.append("|");
            for (String c : columns) {
                md.append(" ").append(r.has(c) ? text(r.get(c)) : "").append(" |");
            }
            md.append("\n");
        }
    }

    private static String text(JsonNode v) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            Iterator<JsonNode> it = v.elements();
            it.forEachRemaining(x -> parts.add(text(x)));
            return String.join(", ", parts);
        }
        return v.toString();
    }
}
