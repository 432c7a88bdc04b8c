package io.rsmr.replica.sim;

import io.rsmr.replica.protocol.Signatures;
import io.rsmr.replica.protocol.message.Digests;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Fast stand-in for Ed25519 in the simulator: a replica's signature is SHA-256(secret || data),
 * and verification recomputes it from the table of secrets. Each node gets only its own secret, so
 * within the simulation nobody can sign for another replica (what the real scheme guarantees).
 */
final class SimSignatures implements Signatures {
    private final int replicaId;
    private final byte[][] secrets;

    /** Random secrets for n replicas; each node gets the Signatures of its own id only. */
    static IntFunction<Signatures> forCluster(int n, SplittableRandom random) {
        byte[][] secrets = new byte[n][16];
        for (byte[] s : secrets) {
            random.nextBytes(s);
        }
        return id -> new SimSignatures(id, secrets);
    }

    private SimSignatures(int replicaId, byte[][] secrets) {
        this.replicaId = replicaId;
        this.secrets = secrets;
    }

    @Override
    public long epoch() {
        return 0;
    }

    @Override
    public byte[] sign(byte[] data) {
        return mac(replicaId, data);
    }

    @Override
    public boolean verify(int signer, long epoch, byte[] data, byte[] signature) {
        return signer >= 0 && signer < secrets.length && epoch == 0 && Arrays.equals(mac(signer, data), signature);
    }

    private byte[] mac(int signer, byte[] data) {
        byte[] secret = secrets[signer];
        byte[] buf = Arrays.copyOf(secret, secret.length + data.length);
        System.arraycopy(data, 0, buf, secret.length, data.length);
        return Digests.sha256(buf);
    }
}
