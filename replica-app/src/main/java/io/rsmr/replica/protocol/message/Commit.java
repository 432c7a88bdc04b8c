package io.rsmr.replica.protocol.message;

/** The sender holds a prepared certificate (q matching) for (view, seq, digest). */
public record Commit(long view, long seq, byte[] digest) implements Message {
}
