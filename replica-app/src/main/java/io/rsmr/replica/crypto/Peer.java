package io.rsmr.replica.crypto;

/** Who is at the other end of an authenticated connection. */
public sealed interface Peer {
    /** A replica, authenticated by its epoch certificate. */
    record Replica(int id, long epoch) implements Peer {}

    /** A client key, by its key id ({@link ClientIds#of}): it may speak for that id's sessions. */
    record Client(long id) implements Peer {}
}
