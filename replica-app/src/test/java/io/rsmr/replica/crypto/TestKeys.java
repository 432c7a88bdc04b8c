package io.rsmr.replica.crypto;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.EpochIdentity;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;

/** A small cluster of agent keys and replica identities for tests, from a seed. */
public final class TestKeys {
    public final String clusterName = "test-cluster";
    public final Map<Integer, Ed25519Keys.SigningKey> agentKeys = new HashMap<>();
    private final SecureRandom random;

    public TestKeys(int replicas, long seed) {
        random = seeded(seed);
        for (int id = 0; id < replicas; id++) {
            agentKeys.put(id, Ed25519Keys.generate(random));
        }
    }

    public EpochIdentity identity(int replicaId, long epoch) {
        return EpochIdentity.issue(agentKeys.get(replicaId), Ed25519Keys.generate(random), clusterName,
                replicaId, epoch);
    }

    public Ed25519Keys.SigningKey clientKey() {
        return Ed25519Keys.generate(random);
    }

    public ReplicaKeyRing keyRing() {
        Map<Integer, byte[]> publicKeys = new HashMap<>();
        agentKeys.forEach((id, key) -> publicKeys.put(id, key.publicKey()));
        return new ReplicaKeyRing(clusterName, publicKeys);
    }

    public byte[] ephemeral() {
        return Handshake.newEphemeral(random);
    }

    private static SecureRandom seeded(long seed) {
        try {
            SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(seed);
            return random;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
