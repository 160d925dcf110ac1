package io.reflex.bench.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.bench.BenchReport;
import io.reflex.operators.model.Json;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The soak's report: {@code soak.json} (every figure, target, fault and sample), {@code soak.md}
 * (the same for people) and {@code soak.png} (throughput and LLM requests in flight over time, the
 * faults marked).
 */
final class SoakReport {
    private final Soak.Options options;
    private final List<Soak.Fault> faults;
    private final List<Soak.Sample> samples;
    private final SoakCheck check;
    private final SoakInput input;
    private final double seconds;
    private final String started = Instant.now().toString();

    SoakReport(
            Soak.Options options,
            List<Soak.Fault> faults,
            List<Soak.Sample> samples,
            SoakCheck check,
            SoakInput input,
            double seconds) {
        this.options = options;
        this.faults = List.copyOf(faults);
        this.samples = List.copyOf(samples);
        this.check = check;
        this.input = input;
        this.seconds = seconds;
    }

    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("name", "soak");
        json.put("finished", started);
        json.put("smoke", options.smoke());
        json.put("duration_s", Math.round(seconds));
        json.put("passed", check.passed());
        ArrayNode targets = json.putArray("targets");
        for (SoakCheck.Target t : check.targets) {
            targets.addObject()
                    .put("target", t.what())
                    .put("max", t.max())
                    .put("actual", t.actual())
                    .put("met", t.met());
        }
        json.set("figures", check.figures);
        ArrayNode fs = json.putArray("faults");
        faults.forEach(f -> fs.add(Soak.faultJson(f)));
        ArrayNode ss = json.putArray("samples");
        for (Soak.Sample s : samples) {
            ss.addArray()
                    .add(BenchReport.round(s.at(), 1))
                    .add(s.sourceRecords())
                    .add(s.llmRequests())
                    .add(s.llmInFlight())
                    .add(s.jobState());
        }
        json.put(
                "samples_columns",
                "seconds, source records (since the last restart), LLM requests, LLM in flight, job state");
        json.set("environment", BenchReport.environment());
        Files.writeString(
                dir.resolve("soak.json"),
                Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
        boolean png = false;
        try {
            png = chart(dir.resolve("soak.png"));
        } catch (RuntimeException e) {
            System.err.println("could not draw the soak's chart: " + e);
        }
        Files.writeString(dir.resolve("soak.md"), markdown(json, png));
        Soak.progress("wrote %s, .md%s", dir.resolve("soak.json"), png ? ", .png" : "");
        for (SoakCheck.Target t : check.targets) {
            Soak.progress(
                    "target %-62s %s (%d, at most %d)",
                    t.what(), t.met() ? "MET" : "MISSED", t.actual(), t.max());
        }
    }

    private String markdown(ObjectNode json, boolean png) {
        StringBuilder md = new StringBuilder();
        md.append("# Soak: every fault at once\n\n");
        md.append(
                String.format(
                        "Run of %d s%s, finished %s: **%s**. Reproduce with `bin/reflex soak%s`."
                                + " The job is `bench/soak.yaml` on a standalone cluster of two"
                                + " TaskManagers; Kafka, the stub LLM and the WebSocket feed run"
                                + " in JVMs of their own.\n\n",
                        Math.round(seconds),
                        options.smoke() ? " (smoke)" : "",
                        started,
                        check.passed() ? "every target met" : "TARGETS MISSED",
                        options.smoke() ? " --smoke" : ""));
        md.append(
                "## Targets\n\n| target | at most | this run | met |\n| --- | --- | --- | --- |\n");
        for (SoakCheck.Target t : check.targets) {
            md.append(
                    String.format(
                            "| %s | %d | %d | %s |%n",
                            t.what(), t.max(), t.actual(), t.met() ? "yes" : "**no**"));
        }
        md.append("\n## Faults\n\n| at (s) | fault | detail |\n| --- | --- | --- |\n");
        for (Soak.Fault f : faults) {
            md.append(String.format("| %.0f | %s | %s |%n", f.at(), f.kind(), f.detail()));
        }
        md.append("\n## Figures\n\n");
        for (Map.Entry<String, JsonNode> e : iterable(check.figures)) {
            md.append("- **").append(e.getKey()).append("**: ").append(e.getValue()).append('\n');
        }
        if (png) {
            md.append("\n![throughput and LLM requests in flight, faults marked](soak.png)\n");
        }
        md.append("\n## Environment\n\n```\n")
                .append(json.get("environment").toPrettyString())
                .append("\n```\n");
        return md.toString();
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(ObjectNode n) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        n.fields().forEachRemaining(out::add);
        return out;
    }

    /** Source records per second and LLM requests in flight, against time, faults marked. */
    private boolean chart(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Double> t = new ArrayList<>();
        List<Double> rate = new ArrayList<>();
        List<Double> inFlight = new ArrayList<>();
        Soak.Sample prev = null;
        for (Soak.Sample s : samples) {
            if (s.sourceRecords() < 0) {
                continue;
            }
            if (prev != null && s.at() > prev.at()) {
                long d = s.sourceRecords() - prev.sourceRecords();
                t.add(s.at());
                // A restart resets the tasks' counters: count from zero again.
                rate.add((d < 0 ? s.sourceRecords() : d) / (s.at() - prev.at()));
                inFlight.add((double) s.llmInFlight());
            }
            prev = s;
        }
        if (t.size() < 2) {
            return false;
        }
        XYChart c =
                new XYChartBuilder()
                        .width(1000)
                        .height(500)
                        .title("Soak: source records/s and LLM requests in flight; faults marked")
                        .xAxisTitle("seconds from the start of input")
                        .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setMarkerSize(0);
        XYSeries r = c.addSeries("source records/s", t, rate);
        r.setMarker(SeriesMarkers.NONE);
        XYSeries f = c.addSeries("LLM requests in flight (right axis)", t, inFlight);
        f.setMarker(SeriesMarkers.NONE);
        f.setYAxisGroup(1);
        c.setYAxisGroupTitle(0, "source records/s");
        c.setYAxisGroupTitle(1, "LLM requests in flight");
        double top = rate.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        int i = 0;
        for (Soak.Fault fault : faults) {
            if (fault.at() <= 0) {
                continue;
            }
            AnnotationLine line = new AnnotationLine(fault.at(), true, false);
            c.addAnnotation(line);
            String label =
                    switch (fault.kind()) {
                        case "taskmanager-kill" -> "kill";
                        case "broker-restart" -> "broker";
                        case "llm-outage" -> "LLM outage";
                        default -> fault.kind();
                    };
            c.addAnnotation(
                    new AnnotationText(label, fault.at(), top * (0.95 - 0.05 * (i++ % 3)), false));
        }
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }
}
