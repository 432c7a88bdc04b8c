package io.rsmr.replica.transport;

import io.rsmr.replica.crypto.Peer;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Authenticated message passing between replicas and from clients to replicas. Every message a
 * {@link Inbound} sees came from the {@link Peer} it names (the connection's handshake proved the
 * peer's key) and was neither altered nor replayed. Delivery is best effort: a message to a peer
 * that is down or whose bounded send queue is full is dropped and counted — the protocol above
 * retransmits. Production: {@link NioTransport}; the simulator has its own network.
 *
 * <p>Confined to one thread (the event loop that calls {@link #poll}); only {@link #wakeup} may be
 * called from others.
 */
public interface Transport extends AutoCloseable {
    /** Receives authenticated messages during {@link #poll}. */
    @FunctionalInterface
    interface Inbound {
        void onMessage(Peer from, byte[] message);

        /**
         * A connection to or from {@code peer} completed its handshake, as local endpoint
         * {@code endpoint} (a client key of a client transport; 0 for a replica); {@code requestKey}
         * is the key this side and the peer share for request authenticators. Only clients and
         * replicas serving clients need it.
         */
        default void onSession(Peer peer, int endpoint, byte[] requestKey) {
        }

        /**
         * A detached frame ({@link #sendDetachedToReplica}): {@code head} came from {@code from} for
         * sure; whoever can change bytes on the wire may have changed {@code tail}. True when the
         * receiver accepts it (the head vouches for the tail, e.g. by a digest it checks); false makes
         * the transport count the frame as malformed. By default none is accepted.
         */
        default boolean onDetached(Peer from, byte[] head, byte[] tail) {
            return false;
        }
    }

    /** Queues a message for a replica; false when it was dropped (and counted). */
    boolean sendToReplica(int replicaId, byte[] message);

    /**
     * Queues the message {@code head} followed by {@code tail} for a replica, with only the head
     * authenticated (the receiver gets it through {@link Inbound#onDetached}): for a tail that the
     * head vouches for by its digest, which the receiver hashes anyway, so it is not hashed for a
     * MAC as well, nor copied. The tail must not change until it is sent. False when dropped (and counted).
     */
    boolean sendDetachedToReplica(int replicaId, byte[] head, byte[] tail);

    /** Queues a message for a connected client; false when it was dropped (and counted). */
    boolean sendToClient(long clientId, byte[] message);

    /**
     * Writes what is queued, then waits up to {@code timeoutMillis} (0: not at all) for input and
     * hands every authenticated message to {@code inbound}; also dials, redials and times out
     * handshakes.
     */
    void poll(long timeoutMillis, Inbound inbound) throws IOException;

    /**
     * The {@link #poll} timeout for an event loop whose next timer is due in {@code waitNanos}:
     * rounded up to whole milliseconds. Rounded down, the last fraction of a millisecond before
     * every timer would become a poll that does not wait, and the loop would spin through it
     * (measured: about 34,000 empty polls per second per replica with a 10 ms tick, the CPU of one
     * busy process in ten taken by every replica and the client). A timer that fires up to 1 ms late
     * is harmless: the protocol's timeouts are counted in ticks of several milliseconds.
     */
    static long timeoutMillis(long waitNanos) {
        long nanosPerMilli = TimeUnit.MILLISECONDS.toNanos(1);
        return waitNanos <= 0 ? 0 : (waitNanos + nanosPerMilli - 1) / nanosPerMilli;
    }

    /** Writes what is queued, as far as the sockets take it now, without waiting for input. */
    void flush();

    /** Makes a waiting {@link #poll} return soon; callable from any thread. */
    void wakeup();

    /** Per-reason counts of what was dropped. */
    DropCounters drops();

    /** True while an authenticated connection to that replica is up for sending. */
    boolean connectedToReplica(int replicaId);

    @Override
    void close();
}
