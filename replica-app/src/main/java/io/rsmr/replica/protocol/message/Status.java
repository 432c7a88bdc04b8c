package io.rsmr.replica.protocol.message;

/** Periodic progress report; peers answer with what the sender misses (retransmission). */
public record Status(long view, boolean inViewChange, long lastExecutedSeq, long stableSeq) implements Message {
}
