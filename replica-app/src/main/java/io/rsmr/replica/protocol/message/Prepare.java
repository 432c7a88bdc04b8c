package io.rsmr.replica.protocol.message;

/** A backup accepted the leader's proposal with this digest for (view, seq). */
public record Prepare(long view, long seq, byte[] digest) implements Message {
}
