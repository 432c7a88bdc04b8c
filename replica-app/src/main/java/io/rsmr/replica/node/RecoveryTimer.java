package io.rsmr.replica.node;

import io.rsmr.replica.protocol.RecoveryProgress;
import io.rsmr.replica.protocol.RecoveryProgress.Phase;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;

/**
 * Times a replica's recovery from the core's {@link RecoveryProgress}, observed once per event-loop
 * turn, and words what the agent is told. The times reported:
 * <ul>
 * <li>{@code loadMillis}: reading and checking the data directory, and building the core from it;</li>
 * <li>{@code verifyMillis}: checking local chunks against the certified manifest (VERIFYING);</li>
 * <li>{@code transferMillis}: learning the certified checkpoint and fetching its manifest and the
 *     missing chunks from peers (LEARNING, MANIFEST, TRANSFERRING);</li>
 * <li>{@code replayMillis}: executing the log suffix up to where the peers are (REPLAYING);</li>
 * <li>{@code recoverMillis}: from the start of the replica to the moment it votes.</li>
 * </ul>
 * Bad peers are reported by replica id ({@code toReplicaId} maps the core's indices).
 */
final class RecoveryTimer {
    private final long startNanos;
    private final long loadMillis;
    private final IntUnaryOperator toReplicaId;
    private final Map<Phase, Long> nanosIn = new EnumMap<>(Phase.class);
    private final Set<Integer> badPeersSeen = new TreeSet<>();
    private Phase phase;
    private long phaseSinceNanos;
    /** The last progress seen with a transfer under way: its chunk counts are reported (null: none). */
    private RecoveryProgress lastTransfer;

    RecoveryTimer(long startNanos, long loadMillis, long nowNanos, IntUnaryOperator toReplicaId) {
        this.startNanos = startNanos;
        this.loadMillis = loadMillis;
        this.toReplicaId = toReplicaId;
        this.phaseSinceNanos = nowNanos;
    }

    /** Notes where the core stands now; true when the phase changed since the last observation. */
    boolean observe(RecoveryProgress progress, long nowNanos) {
        if (progress.chunksTotal() > 0) {
            lastTransfer = progress;
        }
        if (progress.phase() == phase) {
            return false;
        }
        if (phase != null) {
            nanosIn.merge(phase, nowNanos - phaseSinceNanos, Long::sum);
        }
        phase = progress.phase();
        phaseSinceNanos = nowNanos;
        return true;
    }

    /** Replica ids of bad peers not reported before. */
    Set<Integer> newBadPeers(RecoveryProgress progress) {
        Set<Integer> fresh = new TreeSet<>();
        for (int index : progress.badPeers()) {
            int id = toReplicaId.applyAsInt(index);
            if (badPeersSeen.add(id)) {
                fresh.add(id);
            }
        }
        return fresh;
    }

    String progressJson(int replicaId, long epoch, RecoveryProgress progress, long nowNanos) {
        return "{\"event\":\"recovery-progress\",\"replicaId\":" + replicaId + ",\"epoch\":" + epoch
                + ",\"phase\":\"" + progress.phase() + "\",\"targetSeq\":" + progress.targetSeq()
                + counts(progress) + ",\"elapsedMillis\":" + millis(nowNanos - startNanos) + "}";
    }

    String recoveredJson(int replicaId, long epoch, long checkpointSeq, String stateDigest, RecoveryProgress progress,
                         long nowNanos) {
        return "{\"event\":\"recovered\",\"replicaId\":" + replicaId + ",\"epoch\":" + epoch + ",\"checkpointSeq\":"
                + checkpointSeq + ",\"stateDigest\":\"" + stateDigest + "\",\"loadMillis\":" + loadMillis
                + ",\"verifyMillis\":" + millisIn(Phase.VERIFYING) + ",\"transferMillis\":"
                + (millisIn(Phase.LEARNING) + millisIn(Phase.MANIFEST) + millisIn(Phase.TRANSFERRING))
                + ",\"replayMillis\":" + millisIn(Phase.REPLAYING)
                + counts(lastTransfer == null ? progress : lastTransfer)
                + ",\"recoverMillis\":" + millis(nowNanos - startNanos) + "}";
    }

    private String counts(RecoveryProgress progress) {
        return ",\"chunksTotal\":" + progress.chunksTotal() + ",\"chunksLocal\":" + progress.chunksLocal()
                + ",\"chunksFetched\":" + progress.chunksFetched() + ",\"bytesFetched\":" + progress.bytesFetched()
                + ",\"badPeers\":" + badPeersSeen.toString().replace(" ", "");
    }

    private long millisIn(Phase p) {
        return millis(nanosIn.getOrDefault(p, 0L));
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
