package io.rsmr.replica.protocol.message;

/** A replica's answer to a {@link ReadRequest}, from its own executed state. */
public record ReadReply(long clientId, long readSeq, byte[] result) implements Message {
    public ReadReply {
        if (result == null) {
            throw new IllegalArgumentException("result is null");
        }
    }
}
