package io.rsmr.replica.protocol.message;

/**
 * Periodic progress report; peers answer with what the sender misses (retransmission).
 * {@code recovering}: the sender abstains from voting until it has caught up (see ReplicaCore).
 */
public record Status(long view, boolean inViewChange, long lastExecutedSeq, long stableSeq, boolean recovering)
        implements Message {
}
