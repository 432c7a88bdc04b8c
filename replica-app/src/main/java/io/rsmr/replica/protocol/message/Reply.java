package io.rsmr.replica.protocol.message;

/** A replica's result for a client request; the client accepts k'+1 matching ones. */
public record Reply(long clientId, long requestSeq, byte[] result) implements Message {
    public Reply {
        if (result == null) {
            throw new IllegalArgumentException("result is null");
        }
    }
}
