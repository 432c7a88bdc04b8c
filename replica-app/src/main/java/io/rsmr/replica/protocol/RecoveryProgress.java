package io.rsmr.replica.protocol;

import java.util.Set;

/**
 * Where a recovering replica stands, for its shell to time and report (the agent's "transfer" step).
 *
 * <p>A replica that falls behind again while it transfers (the others keep writing) makes further,
 * smaller transfers to newer checkpoints; the chunk counts are those of the latest one.
 *
 * @param phase the current phase
 * @param targetSeq seq of the latest certified checkpoint transferred or being transferred (0: none)
 * @param chunksTotal chunks of that checkpoint's state (0 until its manifest arrived)
 * @param chunksLocal of those, chunks found intact locally (in the store, or from an earlier transfer)
 * @param chunksFetched of those, chunks fetched from peers and verified
 * @param bytesFetched bytes fetched from peers and verified, over the whole recovery
 * @param badPeers core indexes (0..n-1) of the replicas that served data not matching the
 *        certificate, over the whole recovery (never asked again)
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
