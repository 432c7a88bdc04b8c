package io.rsmr.replica.protocol.message;

import java.util.Arrays;

/** A client's operation; (clientId, requestSeq) identifies it for exactly-once execution. */
public record Request(long clientId, long requestSeq, byte[] operation) implements Message {
    public Request {
        if (operation == null) {
            throw new IllegalArgumentException("operation is null");
        }
        if (requestSeq < 1) {
            throw new IllegalArgumentException("requestSeq must be >= 1, was " + requestSeq);
        }
    }

    /** Same client, sequence number and operation bytes. */
    public boolean sameAs(Request other) {
        return other != null && clientId == other.clientId && requestSeq == other.requestSeq
                && Arrays.equals(operation, other.operation);
    }
}
