package io.rsmr.replica.storage;

import io.rsmr.replica.protocol.ChunkRetention;
import io.rsmr.replica.protocol.ChunkStore;
import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.Start;
import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.MessageCodec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A replica's data directory and everything durable in it:
 *
 * <pre>
 * replica.started   exists once a replica ran here (so a lost log is told apart from a new directory)
 * wal/segment-N.log the write-ahead log ({@link WriteAheadLog}, {@link WalRecord})
 * checkpoint        the latest stable checkpoint: certificate and chunk digests ({@link CheckpointFile})
 * chunks/pack-N.pack the chunks of checkpoint states, content-addressed records ({@link ChunkPacks})
 * </pre>
 *
 * <p>{@link #open} reads it and decides how the core starts ({@link #start()}), with the reason
 * ({@link #startReason()}); see {@link BootRule}. Afterwards the shell hands it each turn's
 * {@link Output.Persist} entries ({@link #persist}) and calls {@link #commit} once, before that
 * turn's messages leave.
 */
public final class DurableStore implements AutoCloseable {
    static final String MARKER = "replica.started";
    /** A segment is closed and a new one begun past this size. */
    public static final long SEGMENT_BYTES_MAX_DEFAULT = 64L << 20;
    private static final Logger LOG = Logger.getLogger(DurableStore.class.getName());
    /** A record holds at most one message (a batch) plus the record's own fields. */
    private static final int RECORD_OVERHEAD_BYTES = 64;

    private final Path dataDir;
    private final EpochKey owner;
    private final MessageCodec codec;
    private final FsyncPolicy policy;
    private final ChunkPacks chunks;
    private final WriteAheadLog wal;
    private final Start start;
    private final String startReason;
    private final long loadMillis;
    private Output.StableCheckpoint pendingCheckpoint;
    /** Which chunks stay at each checkpoint write: the rule the simulator's disk applies too. */
    private final ChunkRetention retention = new ChunkRetention();
    /** Seq of the latest checkpoint file written under this log (0: none). */
    private long durableCheckpointSeq;
    /** The stable seq at which the core finished recovering (-1: not yet, or it never recovered). */
    private long recoveredAtSeq = -1;

    private DurableStore(Path dataDir, EpochKey owner, MessageCodec codec, FsyncPolicy policy, ChunkPacks chunks,
                         BootRule.Decision decision, WriteAheadLog wal, long loadMillis) {
        this.dataDir = dataDir;
        this.owner = owner;
        this.codec = codec;
        this.policy = policy;
        this.chunks = chunks;
        this.wal = wal;
        this.start = decision.start();
        this.startReason = decision.reason();
        this.durableCheckpointSeq = decision.start() instanceof Start.Resume resume ? resume.stable().seq() : 0;
        this.loadMillis = loadMillis;
    }

    /**
     * Opens (creating) {@code dataDir} for a replica booting as {@code owner}: reads and checks
     * what is there, decides the start, and prepares the log for appending. Damage never makes this
     * throw — it makes the start {@link Start.Recover} — only an I/O error does.
     */
    public static DurableStore open(Path dataDir, EpochKey owner, MessageCodec codec, FsyncPolicy policy,
                                    long segmentBytesMax) throws IOException {
        long began = System.nanoTime();
        Files.createDirectories(dataDir);
        boolean ranBefore = ranBefore(dataDir);
        ChunkPacks chunks = ChunkPacks.open(dataDir, policy, ChunkPacks.PACK_BYTES_MAX_DEFAULT,
                ChunkPacks.SYNC_AHEAD_BYTES_DEFAULT);
        int bodyBytesMax = codec.config().messageBytesMax() + RECORD_OVERHEAD_BYTES;
        List<Path> segments = WriteAheadLog.segments(dataDir);
        BootRule.Decision decision = BootRule.decide(ranBefore, owner, dataDir, segments, chunks, codec, bodyBytesMax);
        LOG.info("data directory " + dataDir + ": " + describe(decision.start()) + " (" + decision.reason() + ")");
        WriteAheadLog wal;
        if (decision.start() instanceof Start.Resume) {
            cutTornTail(decision.contents().tornTail(), policy);
            wal = WriteAheadLog.resume(dataDir, owner, decision.contents(), segments, policy, segmentBytesMax,
                    bodyBytesMax);
        } else {
            if (decision.contents() != null && decision.contents().tornTail() != null) {
                LOG.warning("the discarded log ended in a torn write: " + decision.contents().tornTail().problem());
            }
            CheckpointFile.delete(dataDir, policy);
            wal = WriteAheadLog.startNew(dataDir, owner, decision.start() instanceof Start.Fresh, policy,
                    segmentBytesMax, bodyBytesMax);
        }
        markRan(dataDir, policy);
        return new DurableStore(dataDir, owner, codec, policy, chunks, decision, wal,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    }

    private static boolean ranBefore(Path dataDir) throws IOException {
        return Files.exists(dataDir.resolve(MARKER)) || Files.exists(dataDir.resolve(CheckpointFile.NAME))
                || !WriteAheadLog.segments(dataDir).isEmpty();
    }

    private static void markRan(Path dataDir, FsyncPolicy policy) throws IOException {
        Path marker = dataDir.resolve(MARKER);
        if (!Files.exists(marker)) {
            try (FileChannel channel = FileChannel.open(marker, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                if (policy.syncs()) {
                    channel.force(true);
                }
            }
            DiskFiles.syncDirectory(dataDir, policy);
        }
    }

    private static void cutTornTail(WalContents.TornTail torn, FsyncPolicy policy) throws IOException {
        if (torn == null) {
            return;
        }
        LOG.warning("cutting off a write torn by a crash at the end of the log: " + torn.segment() + " keeps "
                + torn.validBytes() + " of " + torn.fileBytes() + " bytes (" + torn.problem() + ")");
        try (FileChannel channel = FileChannel.open(torn.segment(), StandardOpenOption.WRITE)) {
            channel.truncate(torn.validBytes());
            if (policy.syncs()) {
                channel.force(true);
            }
        }
    }

    private static String describe(Start start) {
        if (start instanceof Start.Resume resume) {
            return "resume from stable checkpoint " + resume.stable().seq() + ", view " + resume.view() + ", "
                    + resume.accepted().size() + " accepted and " + resume.prepared().size() + " prepared entries";
        }
        return start instanceof Start.Fresh ? "fresh start" : "recover from peers";
    }

    public Start start() {
        return start;
    }

    public String startReason() {
        return startReason;
    }

    /** Time {@link #open} took: reading and checking the directory. */
    public long loadMillis() {
        return loadMillis;
    }

    public ChunkStore chunks() {
        return chunks;
    }

    public FsyncPolicy policy() {
        return policy;
    }

    /** Takes one entry of a step's output; durable after the next {@link #commit}. */
    public void persist(Output.Persist entry) throws IOException {
        if (entry instanceof Output.LogEntry log) {
            wal.append(WalRecord.LOG_ENTRY, WalRecord.logEntry(log, codec));
        } else if (entry instanceof Output.Prepared prepared) {
            wal.append(WalRecord.PREPARED, WalRecord.prepared(prepared));
        } else if (entry instanceof Output.ViewEntry view) {
            wal.append(WalRecord.VIEW, WalRecord.view(view));
        } else if (entry instanceof Output.StateChunk chunk) {
            chunks.write(chunk.digest(), chunk.bytes());
            retention.written(chunk.digest());
        } else if (entry instanceof Output.StableCheckpoint checkpoint) {
            pendingCheckpoint = checkpoint;
        } else {
            throw new IllegalArgumentException("unknown persist entry " + entry.getClass().getName());
        }
    }

    /**
     * The core stopped recovering with its stable checkpoint at {@code stableSeq}. Once a checkpoint
     * at least that recent is durable under this log, the log is marked trusted, so a crash from then
     * on resumes instead of recovering again.
     */
    public void recovered(long stableSeq) {
        if (recoveredAtSeq < 0) {
            recoveredAtSeq = stableSeq;
        }
    }

    /** Makes everything persisted since the last commit durable (per the fsync policy). */
    public void commit() throws IOException {
        wal.commit();
        if (pendingCheckpoint != null) {
            writeCheckpoint(pendingCheckpoint);
            pendingCheckpoint = null;
        }
        if (!wal.trusted() && recoveredAtSeq >= 0 && durableCheckpointSeq >= recoveredAtSeq) {
            wal.markTrusted();
            wal.commit();
            LOG.info("the log is trusted from here: recovered at stable checkpoint " + recoveredAtSeq);
        }
    }

    /**
     * Its chunks durable, then the checkpoint file, then the log drops what it covers, then the
     * chunks {@link ChunkRetention} does not keep go.
     */
    private void writeCheckpoint(Output.StableCheckpoint checkpoint) throws IOException {
        chunks.syncListed(checkpoint.manifest().chunkDigests());
        CheckpointCertificate certificate = checkpoint.certificate();
        CheckpointFile.write(dataDir, new CheckpointFile.Contents(owner, certificate, checkpoint.manifest()), codec,
                policy);
        wal.compact(certificate.seq(), certificate.stateDigest());
        chunks.deleteAllBut(retention.keepAt(checkpoint));
        durableCheckpointSeq = certificate.seq();
    }

    /** The chunks the latest checkpoint file lists, empty if none (for tests and tools). */
    Optional<CheckpointFile.Contents> checkpointFile() throws IOException, CorruptStorageException {
        return CheckpointFile.read(dataDir, codec);
    }

    @Override
    public void close() throws IOException {
        chunks.close();
        wal.close();
    }
}
