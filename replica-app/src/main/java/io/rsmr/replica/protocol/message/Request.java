package io.rsmr.replica.protocol.message;

import java.util.Arrays;

/**
 * A client's operation; (clientId, requestSeq) identifies it for exactly-once execution. The
 * {@code authenticator} lets the replicas to whom the client did not send it check, from a leader's
 * pre-prepare, that the client did ({@link Authenticators}): one MAC per replica, or empty. It is
 * not part of the request's identity: a client may re-send the same request with another one (a
 * new session key after a reconnect).
 */
public record Request(long clientId, long requestSeq, byte[] operation, byte[] authenticator) implements Message {
    public Request {
        if (operation == null || authenticator == null) {
            throw new IllegalArgumentException("operation or authenticator is null");
        }
        if (requestSeq < 1) {
            throw new IllegalArgumentException("requestSeq must be >= 1, was " + requestSeq);
        }
    }

    /** A request without an authenticator: only replicas that receive it from the client accept it. */
    public Request(long clientId, long requestSeq, byte[] operation) {
        this(clientId, requestSeq, operation, Authenticators.NONE);
    }

    /** Same client, sequence number and operation bytes (the authenticator may differ). */
    public boolean sameAs(Request other) {
        return other != null && clientId == other.clientId && requestSeq == other.requestSeq
                && Arrays.equals(operation, other.operation);
    }
}
