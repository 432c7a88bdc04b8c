package io.rsmr.replica.storage;

import io.rsmr.common.crypto.Hex;
import io.rsmr.replica.protocol.Start;
import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.StateManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * How a replica starts from what its data directory holds.
 *
 * <ul>
 * <li><b>Fresh</b> only for a directory where no replica ever ran, in epoch 1: the cluster's first
 *     epoch, whose identities are issued when it is deployed (an agent numbers the epochs of its
 *     replica 1, 2, ... and every rejuvenation issues the next).</li>
 * <li><b>Recover</b> for a directory where no replica ran in an epoch &gt; 1 (a replica that lost its
 *     disk, or got a new one, in a running cluster: it may have voted before and forgotten), and for a
 *     directory that ran before whose log is missing, damaged inside, written under another epoch or
 *     another key ({@link EpochKey}: after a rejuvenation the disk is always suspect, its chunks only
 *     a cache, even if an intruder wrote the next epoch's number on it), not yet trusted (a recovery
 *     that did not finish), or whose checkpoint file is missing, damaged, of another epoch or key,
 *     older than the log says (rolled back) or lacking a chunk.</li>
 * <li><b>Resume</b> otherwise: the log and checkpoint of this epoch and key, every record intact
 *     except possibly a write torn by a crash at the very end.</li>
 * </ul>
 */
final class BootRule {
    /** The epoch of identities issued when a cluster is deployed. */
    static final long FIRST_EPOCH = 1;

    /** The start, why, and the log read (null when none was). */
    record Decision(Start start, String reason, WalContents contents) {
    }

    private BootRule() {}

    static Decision decide(boolean ranBefore, EpochKey owner, Path dataDir, List<Path> segments, ChunkPacks chunks,
                           MessageCodec codec, int bodyBytesMax) throws IOException {
        long epoch = owner.epoch();
        if (!ranBefore) {
            return epoch == FIRST_EPOCH
                    ? new Decision(Start.FRESH, "no replica ran in this directory and this is the first epoch", null)
                    : new Decision(Start.RECOVER, "no replica ran in this directory, but this is epoch " + epoch
                            + " > " + FIRST_EPOCH + ": the replica lost its disk or got a new one", null);
        }
        if (segments.isEmpty()) {
            return new Decision(Start.RECOVER, "a replica ran in this directory but its log is gone", null);
        }
        WalContents contents;
        try {
            contents = WalContents.read(segments, codec, bodyBytesMax);
        } catch (CorruptStorageException e) {
            return new Decision(Start.RECOVER, "the log is damaged: " + e.getMessage(), null);
        }
        String distrust = distrust(contents.owner(), owner, "log");
        if (distrust != null) {
            return new Decision(Start.RECOVER, distrust, contents);
        }
        try {
            return resume(contents, owner, CheckpointFile.read(dataDir, codec), chunks);
        } catch (CorruptStorageException e) {
            return new Decision(Start.RECOVER, "the checkpoint file is damaged: " + e.getMessage(), contents);
        }
    }

    /** Why data written by {@code writer} is not this boot's ({@code owner}), or null when it is. */
    private static String distrust(EpochKey writer, EpochKey owner, String what) {
        if (writer.epoch() != owner.epoch()) {
            return "the " + what + " was written under epoch " + writer.epoch() + ", this boot is epoch " + owner.epoch();
        }
        if (!owner.sameKey(writer.publicKeyDigest())) {
            return "the " + what + " claims epoch " + owner.epoch() + " but was written under another key than this"
                    + " boot's identity (" + writer + ", this boot " + owner + ")";
        }
        return null;
    }

    private static Decision resume(WalContents contents, EpochKey owner, Optional<CheckpointFile.Contents> file,
                                   ChunkPacks chunks) {
        if (!contents.trusted()) {
            return new Decision(Start.RECOVER, "the log belongs to a recovery that did not finish", contents);
        }
        CheckpointCertificate stable = file.map(CheckpointFile.Contents::certificate)
                .orElse(CheckpointCertificate.genesis());
        StateManifest manifest = file.map(CheckpointFile.Contents::manifest).orElse(null);
        List<byte[]> digests = manifest == null ? List.of() : manifest.chunkDigests();
        String problem = checkpointProblem(contents, owner, file);
        if (problem == null) {
            problem = digests.stream().filter(d -> !chunks.contains(d)).findFirst()
                    .map(d -> "chunk " + Hex.of(d) + " of stable checkpoint " + stable.seq() + " is missing")
                    .orElse(null);
        }
        if (problem != null) {
            return new Decision(Start.RECOVER, problem, contents);
        }
        long view = contents.resumeView();
        boolean inViewChange = view == contents.view().view() && contents.view().inViewChange();
        return new Decision(new Start.Resume(stable, manifest, view, inViewChange, contents.acceptedAbove(stable.seq()),
                contents.preparedAbove(stable.seq())), "the log and checkpoint of this epoch are intact", contents);
    }

    private static String checkpointProblem(WalContents contents, EpochKey owner, Optional<CheckpointFile.Contents> file) {
        long logged = contents.checkpointSeq();
        if (file.isEmpty()) {
            return logged == 0 ? null : "the log names stable checkpoint " + logged + " but the checkpoint file is gone";
        }
        CheckpointFile.Contents checkpoint = file.get();
        long seq = checkpoint.certificate().seq();
        String distrust = distrust(checkpoint.owner(), owner, "checkpoint file");
        if (distrust != null) {
            return distrust;
        }
        if (seq < logged) {
            return "the checkpoint file holds stable checkpoint " + seq + ", older than the " + logged
                    + " the log names (rolled back)";
        }
        if (seq == logged && !Arrays.equals(checkpoint.certificate().stateDigest(), contents.checkpointDigest())) {
            return "the checkpoint file's digest of checkpoint " + seq + " differs from the one the log names";
        }
        return null;
    }
}
