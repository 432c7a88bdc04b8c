package io.rsmr.replica.storage;

/** A file of the data directory failed a check; the message names the file and what is wrong. */
public final class CorruptStorageException extends Exception {
    private static final long serialVersionUID = 1L;

    public CorruptStorageException(String message) {
        super(message);
    }
}
