package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.StateManifest;

import java.util.List;

/** How a replica starts: the second argument of {@link ReplicaCore}'s constructor. */
public sealed interface Start {
    /** The first start of a new cluster: the genesis state, view 0. */
    record Fresh() implements Start {
    }

    /**
     * A restart from this replica's own durable log, which the shell trusts: written under the
     * current epoch key, every record's checksum intact. The replica reinstalls its stable checkpoint
     * (its chunks are read from the {@link ChunkStore} and checked against {@code stable}), returns to
     * {@code view}, and remembers every proposal it accepted and every value it prepared, so it may
     * vote at once without contradicting votes it sent before the crash. This is what makes a power
     * loss of every replica at once lose no acknowledged write. When the chunks do not match the
     * certificate (bit rot, a torn chunk file) the core fetches the certified state as in
     * {@link Recover}, abstaining meanwhile, but then returns to the log's view and votes as soon as
     * its stable checkpoint reaches the log's: it need not wait for the checkpoints an amnesic
     * replica waits for.
     *
     * @param manifest the chunk layout of the stable checkpoint's state (its root is the
     *        certificate's digest); null when the stable checkpoint is still the genesis one
     * @param accepted the log entries persisted above the stable checkpoint, in any order
     * @param prepared the prepared entries persisted above the stable checkpoint, in any order
     */
    record Resume(CheckpointCertificate stable, StateManifest manifest, long view, boolean inViewChange,
                  List<Output.LogEntry> accepted, List<Output.Prepared> prepared) implements Start {
        public Resume {
            accepted = List.copyOf(accepted);
            prepared = List.copyOf(prepared);
        }
    }

    /**
     * A boot whose data disk is not trusted: after a rejuvenation (new epoch), or when the log failed
     * its checks, or a replica that ran before and lost its disk. The replica abstains from voting
     * (it may have voted before and forgotten), learns the latest certified checkpoint from its
     * peers, reuses the chunks of its {@link ChunkStore} whose digests the certificate vouches for,
     * fetches the rest from several peers, then replays the log suffix and votes again.
     */
    record Recover() implements Start {
    }

    Start FRESH = new Fresh();
    Start RECOVER = new Recover();
}
