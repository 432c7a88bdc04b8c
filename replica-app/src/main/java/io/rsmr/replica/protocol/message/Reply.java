package io.rsmr.replica.protocol.message;

/**
 * A replica's result for a client request; the client accepts k'+1 matching ones. {@code view} is
 * the replica's view when it answered: clients send new requests to that view's leader.
 */
public record Reply(long clientId, long requestSeq, long view, byte[] result) implements Message {
    public Reply {
        if (result == null) {
            throw new IllegalArgumentException("result is null");
        }
    }
}
