package io.rsmr.replica.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A one-line JSON status of the replica in its data directory, replaced atomically when it
 * changes: what operators and the multi-process tests read (view, last executed sequence number,
 * a digest of the service's state ({@link ServiceDigest}), chain hash, the stable checkpoint's seq and certified digest — the
 * {@code stateDigest} of the "recovered" event — and drop counters).
 */
final class StatusFile {
    static final String NAME = "status.json";
    private static final Logger LOG = Logger.getLogger(StatusFile.class.getName());

    record Status(int replicaId, long epoch, long view, long lastExecutedSeq, String stateDigest, String chainHash,
                  long stableCheckpointSeq, String stableCheckpointDigest, boolean recovering,
                  String transportDrops, String decodeDrops, String coreDrops) {
        String toJson() {
            return "{\"replicaId\":" + replicaId + ",\"epoch\":" + epoch + ",\"view\":" + view
                    + ",\"lastExecutedSeq\":" + lastExecutedSeq + ",\"stateDigest\":\"" + stateDigest
                    + "\",\"chainHash\":\"" + chainHash + "\",\"stableCheckpointSeq\":" + stableCheckpointSeq
                    + ",\"stableCheckpointDigest\":\"" + stableCheckpointDigest + "\",\"recovering\":" + recovering
                    + ",\"transportDrops\":\"" + transportDrops
                    + "\",\"decodeDrops\":\"" + decodeDrops + "\",\"coreDrops\":\"" + coreDrops + "\"}\n";
        }
    }

    private final Path file;
    private Status last;

    StatusFile(Path file) {
        this.file = file;
    }

    void writeIfChanged(Status status) {
        if (status.equals(last)) {
            return;
        }
        Path temporary = file.resolveSibling(NAME + ".tmp");
        try {
            Files.writeString(temporary, status.toJson(), StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            last = status;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write " + file, e);
        }
    }
}
