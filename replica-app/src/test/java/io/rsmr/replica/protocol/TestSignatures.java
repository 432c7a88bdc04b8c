package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Digests;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Deterministic test signatures: SHA-256 over a per-replica secret and the data. */
final class TestSignatures implements Signatures {
    private final int replicaId;

    TestSignatures(int replicaId) {
        this.replicaId = replicaId;
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
        return epoch == 0 && Arrays.equals(mac(signer, data), signature);
    }

    static byte[] mac(int signer, byte[] data) {
        byte[] secret = ("test-secret-" + signer).getBytes(StandardCharsets.US_ASCII);
        byte[] buf = Arrays.copyOf(secret, secret.length + data.length);
        System.arraycopy(data, 0, buf, secret.length, data.length);
        return Digests.sha256(buf);
    }
}
