package io.rsmr.replica.protocol.message;

/**
 * A reply without the result, only its SHA-256 (when digest replies are on, every replica but one
 * designated replica sends this): the client still needs k'+1 matching digests and one full result
 * with that digest, and re-sends its request to get full results when the designated one is silent.
 * {@code view} as in {@link Reply}.
 */
public record ReplyDigest(long clientId, long requestSeq, long view, byte[] resultDigest) implements Message {
}
