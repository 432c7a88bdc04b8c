package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.ReadRequest;
import io.rsmr.replica.protocol.message.Request;

/** Everything that can happen to a replica: the argument of {@link ReplicaCore#step}. */
public sealed interface Input {
    /** A message from replica {@code sender}, authenticated by the transport. */
    record FromReplica(int sender, Message message) implements Input {
    }

    /**
     * A chunk from replica {@code sender} (as {@link FromReplica} would carry it) whose bytes the
     * shell has already hashed: {@code bytesDigest} is their SHA-256, computed by this replica (off
     * the event loop), so the core checks it against the manifest without hashing the bytes again.
     */
    record HashedChunk(int sender, ChunkData chunk, byte[] bytesDigest) implements Input {
    }

    /** A request from the client whose id the transport derived from its authenticated key. */
    record FromClient(long clientId, Request request) implements Input {
    }

    /** A read-only operation on the fast path, from the client whose id the transport derived. */
    record FromClientRead(long clientId, ReadRequest read) implements Input {
    }

    /**
     * A client key's connection to this replica completed its handshake: {@code requestKey} checks
     * this replica's entry of the authenticators of that key's client ids ({@link
     * io.rsmr.replica.crypto.ClientIds#keyOf}) from now on, replacing any earlier one.
     */
    record ClientSession(long keyId, byte[] requestKey) implements Input {
    }

    /** One unit of time passed. */
    record Tick() implements Input {
    }

    /**
     * This replica is about to be taken down (its rejuvenation slot comes): if it leads, it hands
     * leadership to the next replica now, with a view change of its own, so that clients do not
     * wait out a request timeout while it is down.
     */
    record StepDown() implements Input {
    }

    Tick TICK = new Tick();
    StepDown STEP_DOWN = new StepDown();
}
