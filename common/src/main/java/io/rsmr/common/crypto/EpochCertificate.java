package io.rsmr.common.crypto;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A host agent's statement "replica {@code replicaId} of cluster {@code clusterName} uses
 * {@code publicKey} in epoch {@code epoch}", signed with the agent's Ed25519 key. The agent issues
 * a fresh one for every rejuvenation; peers trust the agent keys from the cluster config.
 */
public record EpochCertificate(
        String clusterName, int replicaId, long epoch, byte[] publicKey, byte[] agentSignature) {

    /** Longest cluster name accepted, so a hostile certificate cannot make us allocate much. */
    public static final int CLUSTER_NAME_BYTES_MAX = 255;

    private static final byte[] DOMAIN = "rsmr-epoch-certificate-v1".getBytes(StandardCharsets.US_ASCII);

    public EpochCertificate {
        if (clusterName.getBytes(StandardCharsets.UTF_8).length > CLUSTER_NAME_BYTES_MAX) {
            throw new IllegalArgumentException("cluster name longer than " + CLUSTER_NAME_BYTES_MAX + " bytes");
        }
        if (replicaId < 0 || epoch < 0) {
            throw new IllegalArgumentException("negative replica id or epoch: " + replicaId + ", " + epoch);
        }
        if (publicKey.length != Ed25519Keys.PUBLIC_KEY_BYTES
                || agentSignature.length != Ed25519Keys.SIGNATURE_BYTES) {
            throw new IllegalArgumentException("public key or signature of the wrong length");
        }
        publicKey = publicKey.clone();
        agentSignature = agentSignature.clone();
    }

    /** Signs a certificate with the agent's key. */
    public static EpochCertificate issue(
            Ed25519Keys.SigningKey agentKey, String clusterName, int replicaId, long epoch, byte[] publicKey) {
        byte[] signature = agentKey.sign(signedBytes(clusterName, replicaId, epoch, publicKey));
        return new EpochCertificate(clusterName, replicaId, epoch, publicKey, signature);
    }

    /** True when the agent key signed exactly these fields. */
    public boolean verify(byte[] agentPublicKey) {
        return Ed25519Keys.verify(
                agentPublicKey, signedBytes(clusterName, replicaId, epoch, publicKey), agentSignature);
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] agentSignature() {
        return agentSignature.clone();
    }

    /** Binary form: u8 name length, name (UTF-8), i32 replica id, i64 epoch, key, signature. */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            byte[] name = clusterName.getBytes(StandardCharsets.UTF_8);
            out.writeByte(name.length);
            out.write(name);
            out.writeInt(replicaId);
            out.writeLong(epoch);
            out.write(publicKey);
            out.write(agentSignature);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Reads {@link #encode()}'s form; throws {@link IllegalArgumentException} naming what is wrong. */
    public static EpochCertificate decode(ByteBuffer in) {
        try {
            int nameLength = Byte.toUnsignedInt(in.get());
            byte[] name = new byte[nameLength];
            in.get(name);
            int replicaId = in.getInt();
            long epoch = in.getLong();
            byte[] publicKey = new byte[Ed25519Keys.PUBLIC_KEY_BYTES];
            in.get(publicKey);
            byte[] signature = new byte[Ed25519Keys.SIGNATURE_BYTES];
            in.get(signature);
            return new EpochCertificate(
                    new String(name, StandardCharsets.UTF_8), replicaId, epoch, publicKey, signature);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("epoch certificate truncated", e);
        }
    }

    static byte[] signedBytes(String clusterName, int replicaId, long epoch, byte[] publicKey) {
        byte[] name = clusterName.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(DOMAIN.length + 1 + name.length + 4 + 8 + publicKey.length)
                .put(DOMAIN)
                .put((byte) name.length)
                .put(name)
                .putInt(replicaId)
                .putLong(epoch)
                .put(publicKey)
                .array();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EpochCertificate
                && Arrays.equals(encode(), ((EpochCertificate) other).encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "EpochCertificate[" + clusterName + ", replica " + replicaId + ", epoch " + epoch
                + ", key " + Hex.of(publicKey) + "]";
    }
}
