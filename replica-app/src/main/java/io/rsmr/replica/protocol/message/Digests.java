package io.rsmr.replica.protocol.message;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 helpers; one MessageDigest per thread because they are not thread-safe. */
public final class Digests {
    public static final int DIGEST_BYTES = 32;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    });

    private Digests() {
    }

    /** This thread's SHA-256, reset: for hashing several pieces without copying them together. */
    public static MessageDigest fresh() {
        MessageDigest md = SHA256.get();
        md.reset();
        return md;
    }

    public static byte[] sha256(byte[] data, int offset, int length) {
        MessageDigest md = SHA256.get();
        md.reset();
        md.update(data, offset, length);
        return md.digest();
    }

    public static byte[] sha256(byte[] data) {
        return sha256(data, 0, data.length);
    }

    /** Hash chain link: SHA-256(previous || seq || batchDigest). */
    public static byte[] chain(byte[] previous, long seq, byte[] batchDigest) {
        MessageDigest md = SHA256.get();
        md.reset();
        md.update(previous);
        for (int shift = 56; shift >= 0; shift -= 8) {
            md.update((byte) (seq >>> shift));
        }
        md.update(batchDigest);
        return md.digest();
    }
}
