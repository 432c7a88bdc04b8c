package io.rsmr.replica.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 and the HKDF (RFC 5869) built on it. */
public final class Hmac {
    public static final int TAG_BYTES = 32;
    public static final int KEY_BYTES = 32;

    private Hmac() {}

    /** A fresh HMAC-SHA256 instance keyed with {@code key}; not thread-safe, keep one per user. */
    public static Mac keyed(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** HKDF-Extract then HKDF-Expand to one 32-byte block. */
    public static byte[] hkdf(byte[] salt, byte[] inputKeyMaterial, byte[] info) {
        byte[] pseudoRandomKey = keyed(salt).doFinal(inputKeyMaterial);
        Mac expand = keyed(pseudoRandomKey);
        expand.update(info);
        expand.update((byte) 1);
        return expand.doFinal();
    }
}
