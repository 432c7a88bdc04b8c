package io.rsmr.common.crypto;

import java.util.Arrays;

/** A replica's identity for one epoch: its key pair and the agent's certificate of the public key. */
public record EpochIdentity(Ed25519Keys.SigningKey key, EpochCertificate certificate) {
    public EpochIdentity {
        if (!Arrays.equals(key.publicKey(), certificate.publicKey())) {
            throw new IllegalArgumentException("certificate is for another key than the identity's");
        }
    }

    public int replicaId() {
        return certificate.replicaId();
    }

    public long epoch() {
        return certificate.epoch();
    }

    /** What the host agent does at every boot; also a tool for tests and local clusters. */
    public static EpochIdentity issue(
            Ed25519Keys.SigningKey agentKey, Ed25519Keys.SigningKey replicaKey, String clusterName,
            int replicaId, long epoch) {
        return new EpochIdentity(
                replicaKey,
                EpochCertificate.issue(agentKey, clusterName, replicaId, epoch, replicaKey.publicKey()));
    }
}
