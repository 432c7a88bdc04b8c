package io.rsmr.common.config;

/**
 * One thing wrong with a config file.
 *
 * @param line    1-based line in the file, or 0 when unknown
 * @param path    the field's path, e.g. {@code replicas[2].payloadAddress}, or empty for the whole file
 * @param message what is wrong, in words an operator can act on
 */
public record ConfigError(int line, String path, String message) {
    /** {@code cluster.yaml:14: timing.tp: 20s must be greater than timing.td (30s)} */
    public String format(String fileName) {
        StringBuilder b = new StringBuilder(fileName);
        if (line > 0) {
            b.append(':').append(line);
        }
        b.append(": ");
        if (!path.isEmpty()) {
            b.append(path).append(": ");
        }
        return b.append(message).toString();
    }
}
