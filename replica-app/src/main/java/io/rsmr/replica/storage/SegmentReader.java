package io.rsmr.replica.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Reads the records of one log segment. A record is a 12-byte header — body length (i32), its
 * bitwise complement (i32, so a flipped length is caught before it is trusted) and the CRC32C of
 * the body (i32) — then the body: type (u8), the epoch it was written under (i64), payload.
 * The segment is memory-mapped, so a large one costs no heap.
 */
final class SegmentReader {
    static final int HEADER_BYTES = 12;
    /** Type and epoch. */
    static final int BODY_PREFIX_BYTES = 9;

    /** One record; {@code payload} is valid only during the visit (it views the mapped file). */
    record Record(byte type, long epoch, ByteBuffer payload, ByteBuffer frame) {
    }

    interface Visitor {
        void visit(Record record) throws CorruptStorageException;
    }

    /**
     * Where a scan stopped. {@code problem} is null when every byte was a good record; otherwise
     * the bytes from {@code validBytes} on are not, and {@code goodRecordAfter} says whether a good
     * record still follows somewhere behind them (then this is damage inside the log, not a torn
     * write at its end).
     */
    record End(long validBytes, long fileBytes, String problem, boolean goodRecordAfter) {
        boolean clean() {
            return problem == null;
        }
    }

    private SegmentReader() {}

    static End scan(Path segment, int bodyBytesMax, Visitor visitor) throws IOException, CorruptStorageException {
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
            ByteBuffer file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            int offset = 0;
            while (offset < file.limit()) {
                String problem = problemAt(file, offset, bodyBytesMax);
                if (problem != null) {
                    return new End(offset, file.limit(), problem, goodRecordAfter(file, offset + 1, bodyBytesMax));
                }
                int length = file.getInt(offset);
                ByteBuffer body = file.slice(offset + HEADER_BYTES, length);
                visitor.visit(new Record(body.get(0), body.getLong(1), body.slice(BODY_PREFIX_BYTES,
                        length - BODY_PREFIX_BYTES), file.slice(offset, HEADER_BYTES + length)));
                offset += HEADER_BYTES + length;
            }
            return new End(offset, file.limit(), null, false);
        }
    }

    /** Null when a whole, intact record starts at {@code offset}; else what is wrong with it. */
    private static String problemAt(ByteBuffer file, int offset, int bodyBytesMax) {
        if (file.limit() - offset < HEADER_BYTES) {
            return "a partial record header at offset " + offset;
        }
        int length = file.getInt(offset);
        if (length != ~file.getInt(offset + 4) || length < BODY_PREFIX_BYTES || length > bodyBytesMax) {
            return "a bad record header at offset " + offset;
        }
        if (file.limit() - offset - HEADER_BYTES < length) {
            return "a partial record at offset " + offset + " (" + length + " body bytes announced, "
                    + (file.limit() - offset - HEADER_BYTES) + " there)";
        }
        if (file.getInt(offset + 8) != crc(file.slice(offset + HEADER_BYTES, length))) {
            return "a record failing its CRC32C at offset " + offset;
        }
        return null;
    }

    private static boolean goodRecordAfter(ByteBuffer file, int from, int bodyBytesMax) {
        for (int offset = from; offset + HEADER_BYTES <= file.limit(); offset++) {
            if (problemAt(file, offset, bodyBytesMax) == null) {
                return true;
            }
        }
        return false;
    }

    static int crc(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }
}
