package io.rsmr.replica.crypto;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Client ids come from client keys, so only the holder of a key can speak for its ids (the
 * handshake proves possession). A key owns {@value #SESSIONS_PER_KEY} ids: the first 7 bytes of
 * SHA-256 of its Ed25519 public key, followed by a session byte the client picks. One connection
 * per replica then carries the requests of all of a process's sessions (each id has at most one
 * request in flight), which saves a connection and a system call per request and session. To
 * speak for someone else's ids an attacker needs a key whose hash matches 56 bits: about 2^56
 * key generations.
 */
public final class ClientIds {
    /** Sessions (client ids) one key owns. */
    public static final int SESSIONS_PER_KEY = 256;
    private static final long SESSION_MASK = SESSIONS_PER_KEY - 1;

    private ClientIds() {}

    /** The id of session 0 of a key: the key's identity as the transport reports it. */
    public static long of(byte[] clientPublicKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(clientPublicKey);
            return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong() & ~SESSION_MASK;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** The id of session {@code session} of the key whose id is {@code keyId}. */
    public static long session(long keyId, int session) {
        if (session < 0 || session >= SESSIONS_PER_KEY || (keyId & SESSION_MASK) != 0) {
            throw new IllegalArgumentException("session " + session + " of key id " + Long.toHexString(keyId));
        }
        return keyId | session;
    }

    /** The key id that owns a client id. */
    public static long keyOf(long clientId) {
        return clientId & ~SESSION_MASK;
    }
}
