package io.rsmr.replica.protocol.message;

import java.util.List;

/**
 * An ordered batch of client requests with its SHA-256 digest over the canonical encoding
 * ({@link MessageCodec#batchDigest}). The digest is computed once, where the batch is made or
 * decoded, and travels with it.
 */
public record Batch(List<Request> requests, byte[] digest) {
    public static final Batch EMPTY = of(List.of());

    public Batch {
        requests = List.copyOf(requests);
        if (digest == null || digest.length != Digests.DIGEST_BYTES) {
            throw new IllegalArgumentException("batch digest must be " + Digests.DIGEST_BYTES + " bytes");
        }
    }

    /** Makes a batch, computing its digest. */
    public static Batch of(List<Request> requests) {
        return new Batch(requests, MessageCodec.batchDigest(requests));
    }

    public int size() {
        return requests.size();
    }
}
