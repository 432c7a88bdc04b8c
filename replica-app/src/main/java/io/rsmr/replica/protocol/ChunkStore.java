package io.rsmr.replica.protocol;

/**
 * Where a replica keeps the chunks of its checkpoint states, addressed by their SHA-256. The shell
 * writes every {@link Output.StateChunk} it is asked to persist, before the core's next step; the core
 * reads chunks back to serve peers, to resume, to reuse what the local disk already holds during a
 * state transfer, and to install a transferred state part by part (it keeps no fetched chunk itself).
 *
 * <p>The store is untrusted: on a rejuvenated replica an intruder may have written anything. The
 * core therefore checks the SHA-256 of every chunk it reads before it uses or serves it.
 */
public interface ChunkStore {
    /** The bytes stored under this digest (possibly corrupt), or null when there are none. */
    byte[] read(byte[] digest);

    /** A store that holds nothing: a replica whose data disk is empty. */
    ChunkStore EMPTY = digest -> null;
}
