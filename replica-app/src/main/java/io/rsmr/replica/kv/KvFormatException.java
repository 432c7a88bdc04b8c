package io.rsmr.replica.kv;

/** Bytes that are not a valid KV operation, result or snapshot; the message says what is wrong. */
public final class KvFormatException extends Exception {
    public KvFormatException(String problem) {
        super(problem);
    }
}
