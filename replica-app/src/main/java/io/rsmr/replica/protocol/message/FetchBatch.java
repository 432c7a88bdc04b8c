package io.rsmr.replica.protocol.message;

/** Asks peers for the batch with this digest at seq (after a view change or a commit certificate). */
public record FetchBatch(long seq, byte[] digest) implements Message {
}
