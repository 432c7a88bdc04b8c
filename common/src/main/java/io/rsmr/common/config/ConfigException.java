package io.rsmr.common.config;

import java.util.List;
import java.util.stream.Collectors;

/** A config file that cannot be used, with every error found in it (not just the first). */
public final class ConfigException extends Exception {
    private final String fileName;
    private final List<ConfigError> errors;

    public ConfigException(String fileName, List<ConfigError> errors) {
        super(errors.stream().map(e -> e.format(fileName)).collect(Collectors.joining("\n")));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
        this.fileName = fileName;
        this.errors = List.copyOf(errors);
    }

    public String fileName() {
        return fileName;
    }

    public List<ConfigError> errors() {
        return errors;
    }
}
