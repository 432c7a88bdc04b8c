package io.rsmr.replica.protocol;

/**
 * Signing for what third parties check (checkpoints, view changes, new views). The production
 * implementation (crypto package) uses Ed25519 keys certified per epoch by the host agent.
 */
public interface Signatures {
    /** The key epoch of the local replica's current key. */
    long epoch();

    /** Signs data with the local replica's key of {@link #epoch()}. */
    byte[] sign(byte[] data);

    /**
     * True iff signature is a valid signature of data by replicaId's key of that epoch, and that
     * epoch is not older than the newest one known for replicaId (older keys are refused).
     */
    boolean verify(int replicaId, long epoch, byte[] data, byte[] signature);
}
