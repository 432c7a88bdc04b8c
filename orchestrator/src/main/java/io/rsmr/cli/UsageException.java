package io.rsmr.cli;

/** A request that cannot be carried out as asked (bad argument value, missing file): exit code 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
