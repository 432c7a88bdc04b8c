package io.rsmr.replica.transport;

/** Why an input or output was dropped; each has its own counter. */
public enum DropReason {
    /** A frame too short to hold a counter and MAC, or a message the codec refused. */
    MALFORMED,
    /** A frame (or message to send) over the configured maximum; the connection is closed. */
    OVERSIZED,
    /** A frame whose MAC is wrong. */
    UNAUTHENTICATED,
    /** A frame whose counter was already seen on this connection. */
    REPLAYED,
    /** A handshake that failed (bad certificate, old epoch, bad signature, garbage). */
    HANDSHAKE_FAILED,
    /** A handshake that did not finish within its time limit. */
    HANDSHAKE_TIMEOUT,
    /** An inbound connection refused because too many are open. */
    CONNECTIONS_FULL,
    /** A message to send dropped because the peer's send queue was full (back-pressure). */
    SEND_QUEUE_FULL,
    /** A message to send dropped because no connection to that peer is up. */
    NOT_CONNECTED
}
