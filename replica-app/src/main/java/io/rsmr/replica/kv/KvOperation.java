package io.rsmr.replica.kv;

import java.nio.ByteBuffer;

/**
 * An operation on the store and its wire form: a type byte, then length-prefixed fields (key:
 * u16 length; value: i32 length, -1 meaning absent where allowed).
 */
public sealed interface KvOperation {
    byte PUT = 1;
    byte GET = 2;
    byte DELETE = 3;
    byte COMPARE_AND_SET = 4;
    byte SCAN = 5;
    byte ECHO = 6;

    record Put(byte[] key, byte[] value) implements KvOperation {
        public Put {
            checkKey(key);
            java.util.Objects.requireNonNull(value, "value");
        }
    }

    record Get(byte[] key) implements KvOperation {
        public Get {
            checkKey(key);
        }
    }

    record Delete(byte[] key) implements KvOperation {
        public Delete {
            checkKey(key);
        }
    }

    /** Sets {@code newValue} (null: deletes) when the current value equals {@code expected} (null: absent). */
    record CompareAndSet(byte[] key, byte[] expected, byte[] newValue) implements KvOperation {
        public CompareAndSet {
            checkKey(key);
        }
    }

    /** Entries whose key starts with {@code prefix}, in key order, from after {@code startAfter} (empty: from the first). */
    record Scan(byte[] prefix, byte[] startAfter, int limit) implements KvOperation {
        public Scan {
            checkKey(prefix);
            checkKey(startAfter);
            if (limit < 1) {
                throw new IllegalArgumentException("scan limit must be >= 1, was " + limit);
            }
        }
    }

    /**
     * Changes nothing and returns {@code replyBytes} zero bytes: the benchmark's operation, which
     * measures the replication path with exact request and reply sizes (as BFT-SMaRt's
     * throughput-latency benchmark does). Ordered like every other operation.
     */
    record Echo(byte[] payload, int replyBytes) implements KvOperation {
        public Echo {
            java.util.Objects.requireNonNull(payload, "payload");
            if (replyBytes < 0) {
                throw new IllegalArgumentException("replyBytes must be >= 0, was " + replyBytes);
            }
        }
    }

    /** Keys are sent with a 16-bit length. */
    private static void checkKey(byte[] key) {
        if (key == null || key.length > 0xffff) {
            throw new IllegalArgumentException("a key must be present and at most 65535 bytes");
        }
    }

    /** True for operations that never change the state. */
    default boolean readOnly() {
        return this instanceof Get || this instanceof Scan || this instanceof Echo;
    }

    default byte[] encode() {
        if (this instanceof Put put) {
            return buffer(1 + Bytes.size2(put.key()) + Bytes.size4(put.value()), PUT)
                    .putShort((short) put.key().length).put(put.key()).putInt(put.value().length).put(put.value()).array();
        }
        if (this instanceof Get get) {
            return buffer(1 + Bytes.size2(get.key()), GET).putShort((short) get.key().length).put(get.key()).array();
        }
        if (this instanceof Delete delete) {
            return buffer(1 + Bytes.size2(delete.key()), DELETE)
                    .putShort((short) delete.key().length).put(delete.key()).array();
        }
        if (this instanceof CompareAndSet cas) {
            ByteBuffer out = buffer(1 + Bytes.size2(cas.key()) + Bytes.size4(cas.expected()) + Bytes.size4(cas.newValue()),
                    COMPARE_AND_SET).putShort((short) cas.key().length).put(cas.key());
            putOptional(out, cas.expected());
            putOptional(out, cas.newValue());
            return out.array();
        }
        if (this instanceof Echo echo) {
            return buffer(1 + 4 + Bytes.size4(echo.payload()), ECHO).putInt(echo.replyBytes())
                    .putInt(echo.payload().length).put(echo.payload()).array();
        }
        Scan scan = (Scan) this;
        return buffer(1 + Bytes.size2(scan.prefix()) + Bytes.size2(scan.startAfter()) + 4, SCAN)
                .putShort((short) scan.prefix().length).put(scan.prefix())
                .putShort((short) scan.startAfter().length).put(scan.startAfter())
                .putInt(scan.limit()).array();
    }

    /** Decodes strictly; throws with the reason for anything malformed or over the limits. */
    static KvOperation decode(byte[] bytes, KvLimits limits) throws KvFormatException {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte type = Bytes.readByte(in, "operation type");
        KvOperation operation = switch (type) {
            case PUT -> new Put(key(in, limits), Bytes.read(in, 4, limits.valueBytesMax(), "value"));
            case GET -> new Get(key(in, limits));
            case DELETE -> new Delete(key(in, limits));
            case COMPARE_AND_SET -> new CompareAndSet(key(in, limits), optional(in, limits, "expected value"),
                    optional(in, limits, "new value"));
            case SCAN -> scan(in, limits);
            case ECHO -> echo(in, limits);
            default -> throw new KvFormatException("unknown operation type " + type);
        };
        Bytes.expectEnd(in, "operation");
        return operation;
    }

    private static Scan scan(ByteBuffer in, KvLimits limits) throws KvFormatException {
        byte[] prefix = Bytes.read(in, 2, limits.keyBytesMax(), "prefix");
        byte[] startAfter = Bytes.read(in, 2, limits.keyBytesMax(), "start key");
        int limit = Bytes.readInt(in, "scan limit");
        if (limit < 1) {
            throw new KvFormatException("scan limit must be >= 1, was " + limit);
        }
        return new Scan(prefix, startAfter, Math.min(limit, limits.scanEntriesMax()));
    }

    private static Echo echo(ByteBuffer in, KvLimits limits) throws KvFormatException {
        int replyBytes = Bytes.readInt(in, "reply size");
        if (replyBytes < 0 || replyBytes > limits.valueBytesMax()) {
            throw new KvFormatException("reply size " + replyBytes + " outside [0, " + limits.valueBytesMax() + "]");
        }
        return new Echo(Bytes.read(in, 4, limits.valueBytesMax(), "payload"), replyBytes);
    }

    private static byte[] key(ByteBuffer in, KvLimits limits) throws KvFormatException {
        return Bytes.read(in, 2, limits.keyBytesMax(), "key");
    }

    private static byte[] optional(ByteBuffer in, KvLimits limits, String field) throws KvFormatException {
        int length = Bytes.readInt(in, field);
        if (length == -1) {
            return null;
        }
        in.position(in.position() - 4);
        return Bytes.read(in, 4, limits.valueBytesMax(), field);
    }

    private static void putOptional(ByteBuffer out, byte[] value) {
        if (value == null) {
            out.putInt(-1);
        } else {
            out.putInt(value.length).put(value);
        }
    }

    private static ByteBuffer buffer(int size, byte type) {
        return ByteBuffer.allocate(size).put(type);
    }
}
