package io.reflex.cli.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.RestOptions;

/**
 * Where a standalone cluster's pieces are: the Flink configuration folder ({@code $FLINK_CONF_DIR},
 * by default {@code flink-conf/}), the folder for its process ids and logs ({@code
 * $REFLEX_CLUSTER_HOME}, by default {@code .reflex/cluster/}), the cluster classpath built by the
 * {@code flink-conf} module, the Java 17 flags, the job jar and the REST address.
 */
public record ClusterHome(
        Path root,
        Path confDir,
        Path stateDir,
        String classpath,
        List<String> javaFlags,
        String restUrl) {

    /** Resolves everything from {@code -Dreflex.home} and the environment. */
    public static ClusterHome fromEnvironment(Map<String, String> env) {
        Path root = Path.of(System.getProperty("reflex.home", ".")).toAbsolutePath().normalize();
        Path conf =
                env.containsKey("FLINK_CONF_DIR")
                        ? Path.of(env.get("FLINK_CONF_DIR")).toAbsolutePath()
                        : root.resolve("flink-conf");
        Path state =
                env.containsKey("REFLEX_CLUSTER_HOME")
                        ? Path.of(env.get("REFLEX_CLUSTER_HOME")).toAbsolutePath()
                        : root.resolve(".reflex/cluster");
        String classpath = read(root.resolve("flink-conf/target/classpath.txt"));
        List<String> flags =
                new ArrayList<>(
                        Arrays.asList(
                                read(root.resolve("cli/target/jvm-flags.txt")).split("\\s+")));
        flags.removeIf(String::isBlank);
        Configuration flink = GlobalConfiguration.loadConfiguration(conf.toString());
        String rest =
                "http://"
                        + flink.get(RestOptions.ADDRESS, "127.0.0.1")
                        + ":"
                        + flink.get(RestOptions.PORT);
        return new ClusterHome(root, conf, state, classpath, flags, rest);
    }

    /** The shaded job jar built by the {@code jobs} module. */
    public Path jobJar() {
        Path target = root.resolve("jobs/target");
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(p -> p.getFileName().toString().matches("reflex-jobs-.*-job\\.jar"))
                    .findFirst()
                    .orElseThrow(
                            () ->
                                    new IllegalStateException(
                                            "no job jar in " + target + ": run bin/reflex build"));
        } catch (IOException e) {
            throw new IllegalStateException("no job jar in " + target + ": run bin/reflex build");
        }
    }

    public Path logDir() {
        return stateDir.resolve("log");
    }

    /** The {@code java} of the running JVM, so that every process uses the same Java. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read " + file + " (run bin/reflex build first)", e);
        }
    }
}
