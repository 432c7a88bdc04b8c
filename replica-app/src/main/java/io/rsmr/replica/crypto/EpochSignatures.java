package io.rsmr.replica.crypto;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.EpochIdentity;
import io.rsmr.replica.protocol.Signatures;
import java.util.function.IntUnaryOperator;

/**
 * The core's {@link Signatures} with real Ed25519: signs with this replica's key of its epoch,
 * verifies with the key a peer's agent certified for that epoch (learned by the key ring in
 * handshakes), refusing epochs older than the newest known for that replica.
 */
public final class EpochSignatures implements Signatures {
    private final EpochIdentity identity;
    private final ReplicaKeyRing keyRing;
    private final IntUnaryOperator replicaIdOfCoreIndex;

    /**
     * @param replicaIdOfCoreIndex maps the core's 0-based replica numbers to config replica ids
     */
    public EpochSignatures(EpochIdentity identity, ReplicaKeyRing keyRing, IntUnaryOperator replicaIdOfCoreIndex) {
        String refusal = keyRing.admit(identity.certificate());
        if (refusal != null) {
            throw new IllegalArgumentException("own identity refused: " + refusal);
        }
        this.identity = identity;
        this.keyRing = keyRing;
        this.replicaIdOfCoreIndex = replicaIdOfCoreIndex;
    }

    @Override
    public long epoch() {
        return identity.epoch();
    }

    @Override
    public byte[] sign(byte[] data) {
        return identity.key().sign(data);
    }

    @Override
    public boolean verify(int coreIndex, long epoch, byte[] data, byte[] signature) {
        int replicaId = replicaIdOfCoreIndex.applyAsInt(coreIndex);
        if (epoch < keyRing.newestEpoch(replicaId)) {
            return false;
        }
        byte[] publicKey = keyRing.publicKey(replicaId, epoch);
        return publicKey != null && Ed25519Keys.verify(publicKey, data, signature);
    }
}
