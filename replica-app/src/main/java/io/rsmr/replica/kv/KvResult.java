package io.rsmr.replica.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The result of one {@link KvOperation} and its wire form (a status byte, then fields). */
public sealed interface KvResult {
    byte OK = 0;
    byte VALUE = 1;
    byte NOT_FOUND = 2;
    byte CAS_FAILED = 3;
    byte ENTRIES = 4;
    byte ERROR = 5;

    /** A put, a delete of a present key, or a compare-and-set that matched. */
    record Ok() implements KvResult {}

    record Value(byte[] value) implements KvResult {}

    /** A get or delete of an absent key. */
    record NotFound() implements KvResult {}

    /** The compare-and-set did not match; {@code current} is the value found (null: absent). */
    record CasFailed(byte[] current) implements KvResult {}

    record Entry(byte[] key, byte[] value) {}

    /** A scan's entries in key order; {@code more} when the limit cut it short. */
    record Entries(List<Entry> entries, boolean more) implements KvResult {}

    /** The operation was malformed or over a limit. */
    record Error(String message) implements KvResult {}

    default byte[] encode() {
        if (this instanceof Ok) {
            return new byte[] {OK};
        }
        if (this instanceof NotFound) {
            return new byte[] {NOT_FOUND};
        }
        if (this instanceof Value value) {
            return ByteBuffer.allocate(1 + Bytes.size4(value.value())).put(VALUE).putInt(value.value().length)
                    .put(value.value()).array();
        }
        if (this instanceof CasFailed failed) {
            ByteBuffer out = ByteBuffer.allocate(1 + Bytes.size4(failed.current())).put(CAS_FAILED);
            return failed.current() == null ? out.putInt(-1).array()
                    : out.putInt(failed.current().length).put(failed.current()).array();
        }
        if (this instanceof Error error) {
            byte[] text = error.message().getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(1 + 4 + text.length).put(ERROR).putInt(text.length).put(text).array();
        }
        Entries entries = (Entries) this;
        int size = 1 + 1 + 4;
        for (Entry entry : entries.entries()) {
            size += Bytes.size2(entry.key()) + Bytes.size4(entry.value());
        }
        ByteBuffer out = ByteBuffer.allocate(size).put(ENTRIES).put((byte) (entries.more() ? 1 : 0))
                .putInt(entries.entries().size());
        for (Entry entry : entries.entries()) {
            out.putShort((short) entry.key().length).put(entry.key()).putInt(entry.value().length).put(entry.value());
        }
        return out.array();
    }

    /** Decodes a result (clients do this on replies); bounded by the limits. */
    static KvResult decode(byte[] bytes, KvLimits limits) throws KvFormatException {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte status = Bytes.readByte(in, "result status");
        KvResult result = switch (status) {
            case OK -> new Ok();
            case NOT_FOUND -> new NotFound();
            case VALUE -> new Value(Bytes.read(in, 4, limits.valueBytesMax(), "value"));
            case CAS_FAILED -> new CasFailed(currentValue(in, limits));
            case ERROR -> new Error(new String(Bytes.read(in, 4, 64 << 10, "error message"), StandardCharsets.UTF_8));
            case ENTRIES -> entries(in, limits);
            default -> throw new KvFormatException("unknown result status " + status);
        };
        Bytes.expectEnd(in, "result");
        return result;
    }

    private static byte[] currentValue(ByteBuffer in, KvLimits limits) throws KvFormatException {
        int length = Bytes.readInt(in, "current value");
        if (length == -1) {
            return null;
        }
        in.position(in.position() - 4);
        return Bytes.read(in, 4, limits.valueBytesMax(), "current value");
    }

    private static Entries entries(ByteBuffer in, KvLimits limits) throws KvFormatException {
        boolean more = Bytes.readByte(in, "more flag") != 0;
        int count = Bytes.readInt(in, "entry count");
        if (count < 0 || count > limits.scanEntriesMax()) {
            throw new KvFormatException("entry count " + count + " exceeds " + limits.scanEntriesMax());
        }
        List<Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(new Entry(Bytes.read(in, 2, limits.keyBytesMax(), "key"),
                    Bytes.read(in, 4, limits.valueBytesMax(), "value")));
        }
        return new Entries(entries, more);
    }
}
