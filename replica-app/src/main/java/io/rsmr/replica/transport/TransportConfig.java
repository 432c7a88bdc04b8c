package io.rsmr.replica.transport;

/**
 * The transport's limits, each with its unit in its name.
 *
 * @param messageBytesMax largest message (frame payload) sent or accepted; a peer announcing a
 *     bigger frame is disconnected
 * @param sendQueueBytesMax sealed bytes queued per replica connection before messages are dropped
 * @param clientSendQueueBytesMax the same for a client's connection: far smaller, since a replica
 *     serves many clients within its heap, and a client that stops reading loses only its replies
 * @param inboundConnectionsMax accepted connections (replicas and clients) open at once
 * @param handshakeTimeoutMillis time a new connection has to finish its handshake
 * @param reconnectDelayMinMillis first wait before redialing a replica; doubles per failure
 * @param reconnectDelayMaxMillis longest wait before redialing
 * @param readBufferBytes initial per-connection read buffer (grows for a large frame, then shrinks)
 * @param badFramesPerConnectionMax refused frames after which a connection is closed
 */
public record TransportConfig(
        int messageBytesMax,
        int sendQueueBytesMax,
        int clientSendQueueBytesMax,
        int inboundConnectionsMax,
        long handshakeTimeoutMillis,
        long reconnectDelayMinMillis,
        long reconnectDelayMaxMillis,
        int readBufferBytes,
        int badFramesPerConnectionMax) {

    public TransportConfig {
        if (messageBytesMax <= 0 || sendQueueBytesMax < messageBytesMax || clientSendQueueBytesMax <= 0
                || inboundConnectionsMax <= 0
                || handshakeTimeoutMillis <= 0 || reconnectDelayMinMillis <= 0
                || reconnectDelayMaxMillis < reconnectDelayMinMillis || readBufferBytes < 64
                || badFramesPerConnectionMax <= 0) {
            throw new IllegalArgumentException("inconsistent transport config: " + this);
        }
    }

    /** A client connection queues 1 MiB at most: 16 of the largest (64 KiB) replies. */
    public static TransportConfig defaults() {
        return new TransportConfig(4 << 20, 8 << 20, 1 << 20, 1024, 5_000, 50, 2_000, 64 << 10, 64);
    }

    public TransportConfig withMessageBytesMax(int bytes) {
        return new TransportConfig(bytes, Math.max(sendQueueBytesMax, bytes), clientSendQueueBytesMax, inboundConnectionsMax,
                handshakeTimeoutMillis, reconnectDelayMinMillis, reconnectDelayMaxMillis, readBufferBytes,
                badFramesPerConnectionMax);
    }
}
