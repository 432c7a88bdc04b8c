package io.rsmr.replica.kv;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A stored value: {@code length} bytes of {@code array} from {@code offset}. A value installed from a
 * snapshot part, or re-encoded into one at a checkpoint, points into that part's array instead of
 * holding its own copy, so the store keeps its state about once in the heap (the parts the
 * checkpoints need anyway), not twice. The arrays are never written after they are made.
 */
final class Slice {
    private final byte[] array;
    private final int offset;
    private final int length;

    private Slice(byte[] array, int offset, int length) {
        assert offset >= 0 && length >= 0 && offset + length <= array.length : "slice outside its array";
        this.array = array;
        this.offset = offset;
        this.length = length;
    }

    /** A value that owns {@code value} (the caller no longer writes it). */
    static Slice of(byte[] value) {
        return new Slice(value, 0, value.length);
    }

    /** Reads a value with its 4-byte length, at most {@code max} bytes, without copying it. */
    static Slice read(ByteBuffer in, int max, String field) throws KvFormatException {
        int length = Bytes.readLength(in, 4, max, field);
        Slice slice = new Slice(in.array(), in.arrayOffset() + in.position(), length);
        in.position(in.position() + length);
        return slice;
    }

    int length() {
        return length;
    }

    /** A copy for a result: what a client gets never aliases the store. */
    byte[] copy() {
        return Arrays.copyOfRange(array, offset, offset + length);
    }

    boolean contentEquals(byte[] other) {
        return other != null && Arrays.equals(array, offset, offset + length, other, 0, other.length);
    }

    /** Writes the value with its 4-byte length, as snapshots and parts encode it. */
    void writeTo(ByteBuffer out) {
        out.putInt(length).put(array, offset, length);
    }

    /** The value {@link #writeTo} wrote at {@code valueAt} of {@code part} (after its length). */
    static Slice in(byte[] part, int valueAt, int length) {
        return new Slice(part, valueAt, length);
    }
}
