package io.rsmr.replica.storage;

import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.message.MessageCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the write-ahead log says, read from its segments in order. Everything before the last
 * OPEN record belongs to a log that was replaced and is ignored. A bad record anywhere but at the
 * very end of the last segment makes the whole log untrusted ({@link CorruptStorageException});
 * at the end it is a write torn by a crash, cut off by the caller ({@link #tornTail()}).
 */
final class WalContents implements SegmentReader.Visitor {
    /** A torn write at the end of the last segment: keep {@code validBytes}, drop the rest. */
    record TornTail(Path segment, long validBytes, long fileBytes, String problem) {
    }

    /** A (seq, view) pair: one accepted or prepared value per view is kept, the latest record wins. */
    private record SeqView(long seq, long view) {
    }

    private final MessageCodec codec;
    private boolean opened;
    private long epoch;
    private byte[] keyDigest;
    private boolean trusted;
    private int openSegment;
    private int currentSegment;
    private Output.ViewEntry view = new Output.ViewEntry(0, false);
    private long checkpointSeq;
    private byte[] checkpointDigest;
    private final Map<SeqView, Output.LogEntry> accepted = new LinkedHashMap<>();
    private final Map<SeqView, Output.Prepared> prepared = new LinkedHashMap<>();
    private TornTail tornTail;

    private WalContents(MessageCodec codec) {
        this.codec = codec;
    }

    /** Reads {@code segments} (in log order); the caller must have at least one. */
    static WalContents read(List<Path> segments, MessageCodec codec, int bodyBytesMax)
            throws IOException, CorruptStorageException {
        WalContents contents = new WalContents(codec);
        for (int i = 0; i < segments.size(); i++) {
            contents.currentSegment = i;
            Path segment = segments.get(i);
            SegmentReader.End end = SegmentReader.scan(segment, bodyBytesMax, contents);
            if (end.clean()) {
                continue;
            }
            if (i < segments.size() - 1 || end.goodRecordAfter()) {
                throw new CorruptStorageException(segment + " has " + end.problem() + " inside the log");
            }
            contents.tornTail = new TornTail(segment, end.validBytes(), end.fileBytes(), end.problem());
        }
        if (!contents.opened) {
            throw new CorruptStorageException("the log in " + segments.get(0).getParent() + " has no OPEN record");
        }
        return contents;
    }

    @Override
    public void visit(SegmentReader.Record record) throws CorruptStorageException {
        if (record.type() == WalRecord.OPEN) {
            open(record);
            return;
        }
        if (!opened) {
            throw new CorruptStorageException("a record of type " + record.type() + " before the log's OPEN record");
        }
        if (record.epoch() != epoch) {
            throw new CorruptStorageException("a record written under epoch " + record.epoch()
                    + " in a log opened under epoch " + epoch);
        }
        switch (record.type()) {
            case WalRecord.TRUSTED -> trusted = true;
            case WalRecord.LOG_ENTRY -> {
                Output.LogEntry entry = WalRecord.readLogEntry(record.payload(), codec);
                accepted.put(new SeqView(entry.seq(), entry.view()), entry);
            }
            case WalRecord.PREPARED -> {
                Output.Prepared entry = WalRecord.readPrepared(record.payload());
                prepared.put(new SeqView(entry.seq(), entry.view()), entry);
            }
            case WalRecord.VIEW -> view = WalRecord.readView(record.payload());
            case WalRecord.CHECKPOINT -> {
                checkpointDigest = WalRecord.readCheckpointDigest(record.payload());
                checkpointSeq = record.payload().getLong(0);
            }
            default -> throw new CorruptStorageException("a record of unknown type " + record.type());
        }
    }

    private void open(SegmentReader.Record record) throws CorruptStorageException {
        WalRecord.expectLength(record.payload(), 1 + io.rsmr.replica.protocol.message.Digests.DIGEST_BYTES, "open");
        opened = true;
        epoch = record.epoch();
        trusted = record.payload().get(0) != 0;
        keyDigest = new byte[io.rsmr.replica.protocol.message.Digests.DIGEST_BYTES];
        record.payload().get(1, keyDigest);
        openSegment = currentSegment;
        view = new Output.ViewEntry(0, false);
        checkpointSeq = 0;
        checkpointDigest = null;
        accepted.clear();
        prepared.clear();
    }

    /** The epoch and key the log was opened under (its records' epochs all match). */
    EpochKey owner() {
        return new EpochKey(epoch, keyDigest);
    }

    boolean trusted() {
        return trusted;
    }

    /** Index (in the list read) of the segment that starts with the last OPEN record. */
    int openSegment() {
        return openSegment;
    }

    Output.ViewEntry view() {
        return view;
    }

    /** Seq of the last CHECKPOINT record (0: none). */
    long checkpointSeq() {
        return checkpointSeq;
    }

    byte[] checkpointDigest() {
        return checkpointDigest;
    }

    /** The view to resume in: the last view entered, or a later one that a logged vote is in. */
    long resumeView() {
        long max = view.view();
        for (SeqView key : accepted.keySet()) {
            max = Math.max(max, key.view());
        }
        for (SeqView key : prepared.keySet()) {
            max = Math.max(max, key.view());
        }
        return max;
    }

    List<Output.LogEntry> acceptedAbove(long seq) {
        return new ArrayList<>(accepted.values().stream().filter(e -> e.seq() > seq).toList());
    }

    List<Output.Prepared> preparedAbove(long seq) {
        return new ArrayList<>(prepared.values().stream().filter(e -> e.seq() > seq).toList());
    }

    TornTail tornTail() {
        return tornTail;
    }
}
