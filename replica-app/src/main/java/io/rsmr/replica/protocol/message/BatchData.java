package io.rsmr.replica.protocol.message;

/** Answer to {@link FetchBatch}; the receiver checks the digest against the one it asked for. */
public record BatchData(long seq, Batch batch) implements Message {
}
