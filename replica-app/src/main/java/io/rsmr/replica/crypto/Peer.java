package io.rsmr.replica.crypto;

/** Who is at the other end of an authenticated connection. */
public sealed interface Peer {
    /** A replica, authenticated by its epoch certificate. */
    record Replica(int id, long epoch) implements Peer {}

    /** A client, whose id is derived from its public key ({@link ClientIds}). */
    record Client(long id) implements Peer {}
}
