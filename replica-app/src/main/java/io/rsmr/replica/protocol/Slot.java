package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Batch;
import io.rsmr.replica.protocol.message.Commit;
import io.rsmr.replica.protocol.message.PrePrepare;
import io.rsmr.replica.protocol.message.Prepare;
import io.rsmr.replica.protocol.message.SlotClaim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Everything one replica knows about one sequence number inside its window. */
final class Slot {
    final long seq;
    /** View and digest of the proposal accepted in the latest view (-1: none). */
    long acceptedView = -1;
    byte[] acceptedDigest;
    /**
     * Batches this replica holds for this seq, one per digest it pre-prepared or learned as decided.
     * A replica claims "pre-prepared d" in a view change only while it holds d, so that k'+1 such
     * claims mean that a correct replica can hand it out.
     */
    private final List<Batch> batches = new ArrayList<>(2);
    /** A proposal of the current view that waits for client requests this replica has not seen yet. */
    PrePrepare waiting;
    /** Latest prepared certificate (view -1: none): reported in view changes. */
    long preparedView = -1;
    byte[] preparedDigest;
    /** Digests pre-prepared here, each with the latest view: reported in view changes. */
    final List<SlotClaim> prePrepared = new ArrayList<>(2);
    /** Latest prepare and commit of each replica. */
    final Prepare[] prepares;
    final Commit[] commits;
    /** View of this replica's own commit (-1: none sent). */
    long ownCommitView = -1;
    /** Set once q replicas committed the same digest in one view: the decided value. */
    byte[] decidedDigest;
    long decidedView = -1;

    Slot(long seq, int n) {
        this.seq = seq;
        this.prepares = new Prepare[n];
        this.commits = new Commit[n];
    }

    boolean accepted(long view) {
        return acceptedView == view;
    }

    boolean decided() {
        return decidedDigest != null;
    }

    boolean executable() {
        return decidedDigest != null && batchFor(decidedDigest) != null;
    }

    /** The held batch with this digest, or null. */
    Batch batchFor(byte[] digest) {
        for (Batch b : batches) {
            if (Arrays.equals(b.digest(), digest)) {
                return b;
            }
        }
        return null;
    }

    /** Holds a batch; for a digest already held, fills in operations the held copy lacks. */
    void keep(Batch batch) {
        for (int i = 0; i < batches.size(); i++) {
            if (Arrays.equals(batches.get(i).digest(), batch.digest())) {
                batches.set(i, batches.get(i).withOperations(batch.operations()));
                return;
            }
        }
        batches.add(batch);
    }

    /** Remembers that digest was pre-prepared in view, keeping at most max digests (latest views win). */
    void notePrePrepared(long view, byte[] digest, int max) {
        for (int i = 0; i < prePrepared.size(); i++) {
            if (Arrays.equals(prePrepared.get(i).digest(), digest)) {
                prePrepared.set(i, new SlotClaim(seq, Math.max(view, prePrepared.get(i).view()), digest));
                return;
            }
        }
        if (prePrepared.size() == max) {
            int oldest = 0;
            for (int i = 1; i < prePrepared.size(); i++) {
                if (prePrepared.get(i).view() < prePrepared.get(oldest).view()) {
                    oldest = i;
                }
            }
            byte[] evicted = prePrepared.remove(oldest).digest();
            if (!Arrays.equals(evicted, acceptedDigest) && !Arrays.equals(evicted, decidedDigest)) {
                batches.removeIf(b -> Arrays.equals(b.digest(), evicted));
            }
        }
        prePrepared.add(new SlotClaim(seq, view, digest));
    }

    int matchingPrepares(long view, byte[] digest, int leader) {
        int count = 0;
        for (int i = 0; i < prepares.length; i++) {
            Prepare p = prepares[i];
            if (i != leader && p != null && p.view() == view && Arrays.equals(p.digest(), digest)) {
                count++;
            }
        }
        return count;
    }

    int matchingCommits(long view, byte[] digest) {
        int count = 0;
        for (Commit c : commits) {
            if (c != null && c.view() == view && Arrays.equals(c.digest(), digest)) {
                count++;
            }
        }
        return count;
    }
}
