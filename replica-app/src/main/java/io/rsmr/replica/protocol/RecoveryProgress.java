package io.rsmr.replica.protocol;

import java.util.Set;

/**
 * Where a recovering replica stands, for its shell to time and report (the agent's "transfer" step).
 *
 * @param phase the current phase
 * @param targetSeq seq of the certified checkpoint being installed (0 before one is known)
 * @param chunksTotal chunks of that checkpoint's state
 * @param chunksLocal chunks found intact in the local store (not transferred)
 * @param chunksFetched chunks fetched from peers and verified
 * @param bytesFetched bytes of those chunks
 * @param badPeers replicas that served data not matching the certificate (avoided since)
 */
public record RecoveryProgress(Phase phase, long targetSeq, int chunksTotal, int chunksLocal, int chunksFetched,
                               long bytesFetched, Set<Integer> badPeers) {
    public RecoveryProgress {
        badPeers = Set.copyOf(badPeers);
    }

    /** The phases in order; a replica that needs no transfer goes straight to {@link #REPLAYING}. */
    public enum Phase {
        /** Waiting for peers to report how far they are and for a certified checkpoint. */
        LEARNING,
        /** Fetching the list of chunk digests of the certified state. */
        MANIFEST,
        /** Checking local chunks against that list. */
        VERIFYING,
        /** Fetching the chunks that are missing or wrong from peers. */
        TRANSFERRING,
        /** State installed; executing decided batches up to where the peers are. */
        REPLAYING,
        /** Votes again. */
        DONE
    }
}
