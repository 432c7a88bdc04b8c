package io.rsmr.replica.storage;

import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.message.BatchData;
import io.rsmr.replica.protocol.message.DecodeException;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.MessageCodec;
import java.nio.ByteBuffer;

/**
 * The record types of the write-ahead log and their payloads (big-endian). Framing and checksums
 * are {@link SegmentReader}'s; batches and certificates are in {@link MessageCodec}'s encoding.
 *
 * <pre>
 * OPEN        trusted (u8), key digest (32)  first record of a log: Fresh (trusted) or Recover (not yet);
 *                                            the SHA-256 of the public key of the epoch it is written under
 * TRUSTED     -                              a recovering replica caught up; its log may be resumed from
 * LOG_ENTRY   view (i64), seq (i64), BatchData
 * PREPARED    view (i64), seq (i64), digest (32)
 * VIEW        view (i64), inViewChange (u8)
 * CHECKPOINT  seq (i64), state digest (32)    the stable checkpoint the checkpoint file must hold (or a later one)
 * </pre>
 */
final class WalRecord {
    static final byte OPEN = 1;
    static final byte TRUSTED = 2;
    static final byte LOG_ENTRY = 3;
    static final byte PREPARED = 4;
    static final byte VIEW = 5;
    static final byte CHECKPOINT = 6;

    private WalRecord() {}

    /** Header and body of one record, ready to append. */
    static byte[] frame(byte type, long epoch, byte[] payload) {
        int length = SegmentReader.BODY_PREFIX_BYTES + payload.length;
        ByteBuffer frame = ByteBuffer.allocate(SegmentReader.HEADER_BYTES + length);
        frame.putInt(length).putInt(~length).putInt(0).put(type).putLong(epoch).put(payload);
        frame.putInt(8, SegmentReader.crc(frame.slice(SegmentReader.HEADER_BYTES, length)));
        return frame.array();
    }

    static byte[] open(boolean trusted, EpochKey owner) {
        return ByteBuffer.allocate(1 + Digests.DIGEST_BYTES).put((byte) (trusted ? 1 : 0)).put(owner.publicKeyDigest())
                .array();
    }

    static byte[] logEntry(Output.LogEntry entry, MessageCodec codec) {
        byte[] batch = codec.encode(new BatchData(entry.seq(), entry.batch()));
        return ByteBuffer.allocate(16 + batch.length).putLong(entry.view()).putLong(entry.seq()).put(batch).array();
    }

    static byte[] prepared(Output.Prepared prepared) {
        return ByteBuffer.allocate(16 + Digests.DIGEST_BYTES).putLong(prepared.view()).putLong(prepared.seq())
                .put(prepared.digest()).array();
    }

    static byte[] view(Output.ViewEntry entry) {
        return ByteBuffer.allocate(9).putLong(entry.view()).put((byte) (entry.inViewChange() ? 1 : 0)).array();
    }

    static byte[] checkpoint(long seq, byte[] stateDigest) {
        return ByteBuffer.allocate(8 + Digests.DIGEST_BYTES).putLong(seq).put(stateDigest).array();
    }

    /** The seq of a LOG_ENTRY or PREPARED payload. */
    static long seqOf(ByteBuffer payload) {
        return payload.getLong(8);
    }

    static Output.LogEntry readLogEntry(ByteBuffer payload, MessageCodec codec) throws CorruptStorageException {
        long view = payload.getLong(0);
        long seq = payload.getLong(8);
        byte[] batch = new byte[payload.limit() - 16];
        payload.get(16, batch);
        try {
            if (codec.decode(batch) instanceof BatchData data && data.seq() == seq) {
                return new Output.LogEntry(view, seq, data.batch());
            }
        } catch (DecodeException e) {
            throw new CorruptStorageException("log entry of seq " + seq + " does not decode: " + e.getMessage());
        }
        throw new CorruptStorageException("log entry of seq " + seq + " holds no batch of that seq");
    }

    static Output.Prepared readPrepared(ByteBuffer payload) throws CorruptStorageException {
        expectLength(payload, 16 + Digests.DIGEST_BYTES, "prepared");
        byte[] digest = new byte[Digests.DIGEST_BYTES];
        payload.get(16, digest);
        return new Output.Prepared(payload.getLong(0), payload.getLong(8), digest);
    }

    static Output.ViewEntry readView(ByteBuffer payload) throws CorruptStorageException {
        expectLength(payload, 9, "view");
        return new Output.ViewEntry(payload.getLong(0), payload.get(8) != 0);
    }

    static byte[] readCheckpointDigest(ByteBuffer payload) throws CorruptStorageException {
        expectLength(payload, 8 + Digests.DIGEST_BYTES, "checkpoint");
        byte[] digest = new byte[Digests.DIGEST_BYTES];
        payload.get(8, digest);
        return digest;
    }

    static void expectLength(ByteBuffer payload, int length, String what) throws CorruptStorageException {
        if (payload.limit() != length) {
            throw new CorruptStorageException(what + " record of " + payload.limit() + " bytes, not " + length);
        }
    }
}
