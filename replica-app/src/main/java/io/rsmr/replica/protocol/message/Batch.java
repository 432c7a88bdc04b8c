package io.rsmr.replica.protocol.message;

import java.util.List;

/**
 * An ordered batch of client requests with its SHA-256 digest over the canonical encoding
 * ({@link MessageCodec#batchDigest}). The digest is computed once, where the batch is made
 * ({@link #of}) or decoded, and nobody can pair a batch with a digest of other bytes.
 */
public final class Batch {
    public static final Batch EMPTY = of(List.of());

    private final List<Request> requests;
    private final byte[] digest;

    private Batch(List<Request> requests, byte[] digest) {
        this.requests = List.copyOf(requests);
        this.digest = digest;
    }

    /** Makes a batch, computing its digest. */
    public static Batch of(List<Request> requests) {
        return new Batch(requests, MessageCodec.batchDigest(requests));
    }

    /** For the decoder, which hashed exactly the canonical bytes it decoded. */
    static Batch decoded(List<Request> requests, byte[] digest) {
        return new Batch(requests, digest);
    }

    public List<Request> requests() {
        return requests;
    }

    /** The digest (callers must not modify the array). */
    public byte[] digest() {
        return digest;
    }

    public int size() {
        return requests.size();
    }
}
