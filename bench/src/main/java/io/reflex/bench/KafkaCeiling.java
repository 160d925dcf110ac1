package io.reflex.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Kafka's own consumer performance tool ({@code org.apache.kafka.tools.ConsumerPerformance}, from
 * kafka-tools) run in a JVM of its own on this machine's classpath, against a topic: the ceiling of
 * what any consumer reads from the broker here.
 */
final class KafkaCeiling {
    private KafkaCeiling() {}

    /** The tool's figures: messages per second overall and while fetching. */
    record Result(long messages, double messagesPerSecond, double fetchMessagesPerSecond) {}

    static Result measure(String bootstrapServers, String topic, long messages) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.apache.kafka.tools.ConsumerPerformance");
        cmd.addAll(
                List.of(
                        "--bootstrap-server",
                        bootstrapServers,
                        "--topic",
                        topic,
                        "--group",
                        "bench-perf-" + UUID.randomUUID(),
                        "--num-records",
                        Long.toString(messages),
                        "--timeout",
                        "60000",
                        "--hide-header"));
        Path output = Files.createTempFile("consumer-perf-", ".txt");
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .start();
        try {
            p.getOutputStream().close();
            // The tool prints one CSV line: start, end, MB, MB/s, messages, messages/s,
            // rebalance ms, fetch ms, fetch MB/s, fetch messages/s.
            if (!p.waitFor(3, TimeUnit.MINUTES)) {
                throw new IllegalStateException("ConsumerPerformance did not finish in 3 minutes");
            }
            String out = Files.readString(output, StandardCharsets.UTF_8);
            String line = null;
            for (String l : out.split("\n")) {
                if (l.split(",").length >= 10) {
                    line = l;
                }
            }
            if (p.exitValue() != 0 || line == null) {
                throw new IOException("ConsumerPerformance exited " + p.exitValue() + ": " + out);
            }
            String[] f = line.split(",");
            return new Result(
                    Long.parseLong(f[4].trim()),
                    Double.parseDouble(f[5].trim()),
                    Double.parseDouble(f[9].trim()));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(output);
        }
    }
}
