package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Digests;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Fast, deterministic stand-in for Ed25519 in tests and the simulator: a replica's signature is
 * SHA-256(secret || data), verified by recomputing it. Each node signs only with its own secret, so
 * within a test nobody can sign for another replica (what the real scheme guarantees). The
 * simulator also runs one seed with the real Ed25519 epoch signatures.
 */
public final class TestSignatures implements Signatures {
    private final int replicaId;
    private final IntFunction<byte[]> secretOf;

    /** Fixed secrets derived from the replica id (scripted tests). */
    public TestSignatures(int replicaId) {
        this(replicaId, TestSignatures::fixedSecret);
    }

    private TestSignatures(int replicaId, IntFunction<byte[]> secretOf) {
        this.replicaId = replicaId;
        this.secretOf = secretOf;
    }

    /** Random secrets for n replicas, drawn from the run's seed; each node gets the Signatures of its own id. */
    public static IntFunction<Signatures> forCluster(int n, SplittableRandom random) {
        byte[][] secrets = new byte[n][16];
        for (byte[] s : secrets) {
            random.nextBytes(s);
        }
        return id -> new TestSignatures(id, signer -> signer >= 0 && signer < n ? secrets[signer] : null);
    }

    @Override
    public long epoch() {
        return 0;
    }

    @Override
    public byte[] sign(byte[] data) {
        return mac(secretOf.apply(replicaId), data);
    }

    @Override
    public boolean verify(int signer, long epoch, byte[] data, byte[] signature) {
        byte[] secret = secretOf.apply(signer);
        return secret != null && epoch == 0 && Arrays.equals(mac(secret, data), signature);
    }

    /** The signature {@code new TestSignatures(signer)} makes. */
    static byte[] mac(int signer, byte[] data) {
        return mac(fixedSecret(signer), data);
    }

    private static byte[] fixedSecret(int signer) {
        return ("test-secret-" + signer).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] mac(byte[] secret, byte[] data) {
        byte[] buf = Arrays.copyOf(secret, secret.length + data.length);
        System.arraycopy(data, 0, buf, secret.length, data.length);
        return Digests.sha256(buf);
    }
}
