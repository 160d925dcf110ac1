package io.reflex.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A copy of the project's {@code flink-conf/} for a cluster that must not collide with anything
 * else on the machine: free REST, RPC and metrics ports, and checkpoints and savepoints under a
 * directory of its own. Used by the cluster tests and the soak.
 */
public final class ClusterConf {
    private ClusterConf() {}

    /**
     * Writes the copy into {@code conf} with state under {@code stateDir}; returns the REST URL.
     *
     * @param root the project's root, holding {@code flink-conf/}
     */
    public static String isolate(Path root, Path conf, Path stateDir) throws IOException {
        Files.createDirectories(conf);
        for (String f : List.of("log4j.properties", "log4j-cli.properties")) {
            Files.copy(
                    root.resolve("flink-conf").resolve(f),
                    conf.resolve(f),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        int restPort = KafkaBrokerProcess.freePort();
        String yaml = Files.readString(root.resolve("flink-conf/config.yaml"));
        yaml = replace(yaml, "port: 8081", "port: " + restPort);
        yaml = replace(yaml, "port: 6123", "port: " + KafkaBrokerProcess.freePort());
        String state = stateDir.toAbsolutePath().toUri().toString();
        yaml = replace(yaml, "file:///tmp/reflex/", state.endsWith("/") ? state : state + "/");
        yaml = replace(yaml, "port: 9249-9259", "port: 9260-9270");
        Files.writeString(conf.resolve("config.yaml"), yaml);
        return "http://127.0.0.1:" + restPort;
    }

    private static String replace(String text, String from, String to) {
        if (!text.contains(from)) {
            throw new IllegalStateException("flink-conf/config.yaml has no '" + from + "'");
        }
        return text.replace(from, to);
    }
}
