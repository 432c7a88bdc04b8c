package io.rsmr.replica.protocol.message;

/**
 * Signed claim of replica {@code replicaId} (key epoch {@code epoch}) that after executing
 * sequence number {@code seq} its checkpoint state has digest {@code stateDigest}.
 */
public record Checkpoint(int replicaId, long epoch, long seq, byte[] stateDigest, byte[] signature)
        implements Message {
}
