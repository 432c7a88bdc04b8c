package io.rsmr.replica.protocol.message;

/** The leader of {@code view} proposes {@code batch} for sequence number {@code seq}. */
public record PrePrepare(long view, long seq, Batch batch) implements Message {
}
