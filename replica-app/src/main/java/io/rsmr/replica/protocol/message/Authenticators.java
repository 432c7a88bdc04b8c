package io.rsmr.replica.protocol.message;

import io.rsmr.replica.crypto.Hmac;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.crypto.Mac;

/**
 * PBFT-style request authenticators (Castro and Liskov): a client sends a request to the leader
 * only, with one MAC per replica over (client id, request seq, SHA-256 of the operation), each
 * under a key that only that client and that replica hold. The leader relays the authenticator in
 * its pre-prepare; a backup checks its own entry and so knows that the client sent the request,
 * without having received it, while the leader, lacking the backup's key, cannot make an entry that
 * a backup accepts. Pure functions of their inputs; the keys come in from outside.
 *
 * <p>An entry is HMAC-SHA256 truncated to {@value #ENTRY_BYTES} bytes: forging one takes 2^128
 * guesses on average, each of which a backup sees (an online guess, not an offline search), so
 * 128 bits keep the full security margin we need while a request of n = 6 carries 96 bytes of
 * authenticator instead of 192 (RFC 2104 section 5 allows truncation to no less than half the
 * output). A client without a key for replica i yet leaves entry i zero; that replica then accepts
 * the request only once it gets it from the client itself.
 */
public final class Authenticators {
    /** No authenticator (a request only the replicas that receive it from the client may order). */
    public static final byte[] NONE = new byte[0];
    /** Bytes of one replica's entry. */
    public static final int ENTRY_BYTES = 16;
    /** Bytes a key has (the handshake derives 32-byte keys). */
    public static final int KEY_BYTES = Hmac.KEY_BYTES;
    private static final byte[] DOMAIN = "rsmr-request-authenticator-v1".getBytes(StandardCharsets.US_ASCII);

    private Authenticators() {}

    /** One client-replica key, ready to compute entries. Not thread-safe: one per user. */
    public static final class Key {
        private final Mac mac;
        /** The MAC input: domain, client id, request seq, operation digest (one update call, not many). */
        private final ByteBuffer input = ByteBuffer.allocate(DOMAIN.length + 2 * Long.BYTES + Digests.DIGEST_BYTES);

        public Key(byte[] key) {
            if (key.length != KEY_BYTES) {
                throw new IllegalArgumentException("request key must be " + KEY_BYTES + " bytes, was " + key.length);
            }
            this.mac = Hmac.keyed(key);
            input.put(DOMAIN);
        }

        /** The full tag; entries are its first {@link #ENTRY_BYTES}. */
        private byte[] tag(long clientId, long requestSeq, byte[] operationDigest) {
            input.position(DOMAIN.length);
            input.putLong(clientId).putLong(requestSeq).put(operationDigest);
            mac.update(input.array(), 0, input.position());
            return mac.doFinal();
        }
    }

    /** Bytes of an authenticator for n replicas. */
    public static int bytesFor(int n) {
        return n * ENTRY_BYTES;
    }

    /** The authenticator with an entry per replica: keys[i] null leaves entry i zero. */
    public static byte[] make(Key[] keys, long clientId, long requestSeq, byte[] operationDigest) {
        byte[] authenticator = new byte[bytesFor(keys.length)];
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                System.arraycopy(keys[i].tag(clientId, requestSeq, operationDigest), 0, authenticator, i * ENTRY_BYTES, ENTRY_BYTES);
            }
        }
        return authenticator;
    }

    /** True when entry {@code replica} of the authenticator is the MAC of the request under {@code key}. */
    public static boolean verify(Key key, byte[] authenticator, int replica, long clientId, long requestSeq,
                                 byte[] operationDigest) {
        if (key == null || replica < 0 || authenticator.length < (replica + 1) * ENTRY_BYTES) {
            return false;
        }
        byte[] expected = key.tag(clientId, requestSeq, operationDigest);
        int difference = 0;
        for (int i = 0; i < ENTRY_BYTES; i++) {
            difference |= expected[i] ^ authenticator[replica * ENTRY_BYTES + i];
        }
        return difference == 0;
    }
}
