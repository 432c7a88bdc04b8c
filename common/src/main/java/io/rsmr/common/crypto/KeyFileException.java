package io.rsmr.common.crypto;

import java.nio.file.Path;

/** A key file that cannot be read or is malformed; the message names the file and the problem. */
public final class KeyFileException extends Exception {
    public KeyFileException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public KeyFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
