package io.rsmr.replica.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The append side of the write-ahead log: {@code wal/segment-<16 digits>.log} files, each a run
 * of {@link SegmentReader} records, read in the order of their numbers. Records of a group are
 * buffered by {@link #append} and written (and synced, per {@link FsyncPolicy}) by {@link #commit}.
 * A segment is never appended to after a restart: each boot writes a new one, so a torn tail is
 * always the end of the last segment. A segment past {@code segmentBytesMax} is closed and a new
 * one begun. {@link #compact} rewrites what a stable checkpoint leaves alive into a new segment and
 * deletes the older ones.
 */
final class WriteAheadLog implements AutoCloseable {
    static final String DIRECTORY = "wal";
    private static final Pattern SEGMENT = Pattern.compile("segment-(\\d{16})\\.log");

    private final Path directory;
    private final EpochKey owner;
    private final FsyncPolicy policy;
    private final long segmentBytesMax;
    private final int bodyBytesMax;
    private final ByteArrayOutputStream group = new ByteArrayOutputStream();
    private long segmentIndex;
    private FileChannel segment;
    private long segmentBytes;
    private boolean trusted;
    /** Payload of the last VIEW record (kept across compactions), null before any. */
    private byte[] lastView;

    private WriteAheadLog(Path directory, EpochKey owner, FsyncPolicy policy, long segmentBytesMax, int bodyBytesMax) {
        this.directory = directory;
        this.owner = owner;
        this.policy = policy;
        this.segmentBytesMax = segmentBytesMax;
        this.bodyBytesMax = bodyBytesMax;
    }

    /** The segment files of {@code dataDir}'s log in log order (none when there is no log). */
    static List<Path> segments(Path dataDir) throws IOException {
        Path directory = dataDir.resolve(DIRECTORY);
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (var files = Files.list(directory)) {
            return files.filter(f -> SEGMENT.matcher(f.getFileName().toString()).matches()).sorted().toList();
        }
    }

    /**
     * A new log: deletes every old segment after a first segment holding only an OPEN record is
     * durable (a crash in between leaves the new OPEN last, which hides the old records).
     */
    static WriteAheadLog startNew(Path dataDir, EpochKey owner, boolean trusted, FsyncPolicy policy,
                                  long segmentBytesMax, int bodyBytesMax) throws IOException {
        WriteAheadLog log = create(dataDir, owner, policy, segmentBytesMax, bodyBytesMax);
        List<Path> old = segments(dataDir);
        log.trusted = trusted;
        log.begin(nextIndex(old));
        log.append(WalRecord.OPEN, WalRecord.open(trusted, owner));
        log.commit();
        log.delete(old);
        return log;
    }

    /** Continues a log that was read and trusted: keeps its segments from {@code openSegment} on. */
    static WriteAheadLog resume(Path dataDir, EpochKey owner, WalContents contents, List<Path> read, FsyncPolicy policy,
                                long segmentBytesMax, int bodyBytesMax) throws IOException {
        WriteAheadLog log = create(dataDir, owner, policy, segmentBytesMax, bodyBytesMax);
        log.trusted = contents.trusted();
        log.lastView = WalRecord.view(contents.view());
        log.begin(nextIndex(read));
        log.delete(read.subList(0, contents.openSegment()));
        return log;
    }

    private static WriteAheadLog create(Path dataDir, EpochKey owner, FsyncPolicy policy, long segmentBytesMax,
                                        int bodyBytesMax) throws IOException {
        Path directory = dataDir.resolve(DIRECTORY);
        Files.createDirectories(directory);
        DiskFiles.deleteTemporaries(directory);
        return new WriteAheadLog(directory, owner, policy, segmentBytesMax, bodyBytesMax);
    }

    private static long nextIndex(List<Path> segments) {
        if (segments.isEmpty()) {
            return 1;
        }
        String last = segments.get(segments.size() - 1).getFileName().toString();
        return Long.parseLong(last.substring("segment-".length(), last.length() - ".log".length())) + 1;
    }

    private Path segmentPath(long index) {
        return directory.resolve(String.format("segment-%016d.log", index));
    }

    private void begin(long index) throws IOException {
        if (segment != null) {
            segment.close();
        }
        segmentIndex = index;
        segment = FileChannel.open(segmentPath(index), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        segmentBytes = 0;
        DiskFiles.syncDirectory(directory, policy);
    }

    void append(byte type, byte[] payload) {
        assert SegmentReader.BODY_PREFIX_BYTES + payload.length <= bodyBytesMax;
        group.writeBytes(WalRecord.frame(type, owner.epoch(), payload));
        if (type == WalRecord.VIEW) {
            lastView = payload;
        }
    }

    boolean trusted() {
        return trusted;
    }

    /** Appends TRUSTED: from now on a restart in this epoch may resume from this log. */
    void markTrusted() {
        append(WalRecord.TRUSTED, new byte[0]);
        trusted = true;
    }

    /** Writes the group's records and makes them durable; begins a new segment when this one is full. */
    void commit() throws IOException {
        if (group.size() == 0) {
            return;
        }
        DiskFiles.writeFully(segment, ByteBuffer.wrap(group.toByteArray()));
        segmentBytes += group.size();
        group.reset();
        if (policy.syncs()) {
            segment.force(false);
        }
        if (segmentBytes >= segmentBytesMax) {
            begin(segmentIndex + 1);
        }
    }

    /**
     * After a stable checkpoint at {@code seq} is durable in the checkpoint file: writes a new segment
     * with OPEN, the last VIEW, CHECKPOINT and every LOG_ENTRY and PREPARED above {@code seq}, then
     * deletes all older segments. The new segment appears by an atomic rename once it is complete.
     */
    void compact(long seq, byte[] stateDigest) throws IOException {
        commit();
        List<Path> old = segments(directory.getParent());
        long index = segmentIndex + 1;
        Path target = segmentPath(index);
        Path temporary = target.resolveSibling(target.getFileName() + DiskFiles.TEMPORARY_SUFFIX);
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            write(out, WalRecord.frame(WalRecord.OPEN, owner.epoch(), WalRecord.open(trusted, owner)));
            if (lastView != null) {
                write(out, WalRecord.frame(WalRecord.VIEW, owner.epoch(), lastView));
            }
            write(out, WalRecord.frame(WalRecord.CHECKPOINT, owner.epoch(), WalRecord.checkpoint(seq, stateDigest)));
            for (Path segment : old) {
                copyLive(segment, seq, out);
            }
            if (policy.syncs()) {
                out.force(false);
            }
            segmentBytes = out.size();
        }
        segment.close();
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        DiskFiles.syncDirectory(directory, policy);
        segmentIndex = index;
        segment = FileChannel.open(target, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        delete(old);
    }

    private void copyLive(Path segment, long seq, FileChannel out) throws IOException {
        try {
            SegmentReader.End end = SegmentReader.scan(segment, bodyBytesMax, record -> {
                boolean vote = record.type() == WalRecord.LOG_ENTRY || record.type() == WalRecord.PREPARED;
                if (vote && WalRecord.seqOf(record.payload()) > seq) {
                    try {
                        DiskFiles.writeFully(out, record.frame());
                    } catch (IOException e) {
                        throw new CorruptStorageException("cannot copy a record: " + e);
                    }
                }
            });
            if (!end.clean()) {
                throw new IOException(segment + " changed under the running replica: " + end.problem());
            }
        } catch (CorruptStorageException e) {
            throw new IOException("compacting " + segment + ": " + e.getMessage(), e);
        }
    }

    private static void write(FileChannel out, byte[] frame) throws IOException {
        DiskFiles.writeFully(out, ByteBuffer.wrap(frame));
    }

    private void delete(List<Path> segments) throws IOException {
        for (Path old : segments) {
            Files.deleteIfExists(old);
        }
        if (!segments.isEmpty()) {
            DiskFiles.syncDirectory(directory, policy);
        }
    }

    @Override
    public void close() throws IOException {
        segment.close();
    }
}
