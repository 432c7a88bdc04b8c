package io.rsmr.replica.protocol.message;

/**
 * A client's read-only operation on the fast path: not ordered, answered by each replica from its
 * own state once it executed every seq it had committed to when the read arrived. The client
 * accepts k+2k'+1 matching {@link ReadReply}s, else it sends the operation as an ordered
 * {@link Request}. {@code readSeq} only pairs replies with the read (a client's reads are numbered
 * apart from its requests, which they never consume).
 */
public record ReadRequest(long clientId, long readSeq, byte[] operation) implements Message {
    public ReadRequest {
        if (operation == null) {
            throw new IllegalArgumentException("operation is null");
        }
        if (readSeq < 1) {
            throw new IllegalArgumentException("readSeq must be >= 1, was " + readSeq);
        }
    }
}
