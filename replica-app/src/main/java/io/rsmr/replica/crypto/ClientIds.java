package io.rsmr.replica.crypto;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
  * A client's id is the first 8 bytes of SHA-256 of its Ed25519 public key, so only the holder of
  * the key can speak for that id (the handshake proves possession).
  */
public final class ClientIds {
    private ClientIds() {}

    public static long of(byte[] clientPublicKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(clientPublicKey);
            return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
