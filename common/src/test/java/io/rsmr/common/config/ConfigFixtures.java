package io.rsmr.common.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shipped example configs, and edits of them, for tests. */
public final class ConfigFixtures {
    public static final Path EXAMPLES = Path.of("..", "examples");

    private ConfigFixtures() {
    }

    public static String localYaml() {
        try {
            return Files.readString(EXAMPLES.resolve("cluster-local.yaml"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The local example with {@code from} replaced by {@code to}; fails if {@code from} is not there once. */
    public static String localYamlWith(String from, String to) {
        return replaceOnce(localYaml(), from, to);
    }

    public static String replaceOnce(String yaml, String from, String to) {
        int at = yaml.indexOf(from);
        if (at < 0 || yaml.indexOf(from, at + 1) >= 0) {
            throw new IllegalArgumentException("fixture edit must match exactly once: " + from);
        }
        return yaml.substring(0, at) + to + yaml.substring(at + from.length());
    }

    /** The local example with its last {@code drop} replica lines removed. */
    public static String localYamlWithReplicas(int n) {
        StringBuilder b = new StringBuilder();
        for (String line : localYaml().split("\n", -1)) {
            if (line.startsWith("  - {id: ") && Integer.parseInt(line.substring(9, line.indexOf(','))) > n) {
                continue;
            }
            if (line.matches("    h\\d+: keys/agent-h\\d+\\.pub") && Integer.parseInt(line.substring(5, line.indexOf(':'))) > n) {
                continue;
            }
            b.append(line).append('\n');
        }
        return b.toString();
    }

    public static ClusterConfig parse(String yaml) throws ConfigException {
        return new ClusterConfigLoader().parse(yaml, "cluster.yaml", EXAMPLES.toAbsolutePath());
    }
}
