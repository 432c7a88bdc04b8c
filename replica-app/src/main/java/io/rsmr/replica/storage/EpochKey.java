package io.rsmr.replica.storage;

import io.rsmr.replica.protocol.message.Digests;
import java.util.Arrays;

/**
 * Whose data this is: the epoch and the SHA-256 of the epoch's public key that the replica wrote it
 * under. The log and the checkpoint file carry it, and a boot trusts them only when both match its own
 * identity. The number alone would not do: an intruder in epoch e can predict e + 1 and write a log
 * claiming it, but not the key the agent makes for e + 1 at the rejuvenation that ends its stay.
 */
public record EpochKey(long epoch, byte[] publicKeyDigest) {
    public EpochKey {
        if (publicKeyDigest.length != Digests.DIGEST_BYTES) {
            throw new IllegalArgumentException("a key digest of " + publicKeyDigest.length + " bytes");
        }
        publicKeyDigest = publicKeyDigest.clone();
    }

    /** The owner for an identity of {@code epoch} with this public key. */
    public static EpochKey of(long epoch, byte[] publicKey) {
        return new EpochKey(epoch, Digests.sha256(publicKey));
    }

    @Override
    public byte[] publicKeyDigest() {
        return publicKeyDigest.clone();
    }

    boolean sameKey(byte[] digest) {
        return Arrays.equals(publicKeyDigest, digest);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EpochKey o && o.epoch == epoch && sameKey(o.publicKeyDigest);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(epoch) * 31 + Arrays.hashCode(publicKeyDigest);
    }

    @Override
    public String toString() {
        return "epoch " + epoch + " key " + io.rsmr.common.crypto.Hex.of(publicKeyDigest).substring(0, 16);
    }
}
