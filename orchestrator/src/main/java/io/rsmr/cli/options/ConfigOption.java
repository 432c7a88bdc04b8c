package io.rsmr.cli.options;

import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.common.config.ConfigException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code -c/--config cluster.yaml}, shared by every command that reads the cluster config. */
public final class ConfigOption {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
            description = "The cluster config (cluster.yaml).")
    Path file;

    public Path file() {
        return file;
    }

    /** Loads and validates the file; every error of it is in the exception. */
    public ClusterConfig load() throws ConfigException {
        return new ClusterConfigLoader().load(file);
    }
}
