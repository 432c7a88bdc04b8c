package io.rsmr.replica.sim;

import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.service.Service;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tiny deterministic key-value register service for the simulator (test-only, beside the real
 * KvService): put, get and compare-and-set of long values on int keys. Results carry enough
 * (previous values) for the linearizability checker to tell histories apart.
 */
final class SimKv implements Service {
    static final byte PUT = 1;
    static final byte GET = 2;
    static final byte CAS = 3;
    static final long ABSENT = -1;
    private static final byte[] ERROR = {(byte) 0xEE};

    /** A decoded operation. For GET value and expected are unused; for PUT expected is unused. */
    record Op(byte type, int key, long expected, long value) {
        byte[] encode() {
            return ByteBuffer.allocate(21).put(type).putInt(key).putLong(expected).putLong(value).array();
        }

        static Op decode(byte[] bytes) {
            if (bytes.length != 21) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte type = b.get();
            if (type < PUT || type > CAS) {
                return null;
            }
            return new Op(type, b.getInt(), b.getLong(), b.getLong());
        }
    }

    /** A decoded result: for CAS ok says whether it swapped; value is the value before the op. */
    record Result(boolean ok, long before) {
        static Result decode(byte[] bytes) {
            if (bytes.length != 9) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            return new Result(b.get() == 1, b.getLong());
        }

        byte[] encode() {
            return ByteBuffer.allocate(9).put((byte) (ok ? 1 : 0)).putLong(before).array();
        }
    }

    private final TreeMap<Integer, Long> data = new TreeMap<>();

    /** Applies op to a value (the model shared with the linearizability checker). */
    static long apply(Op op, long before) {
        return switch (op.type()) {
            case PUT -> op.value();
            case CAS -> before == op.expected() ? op.value() : before;
            default -> before;
        };
    }

    static Result resultOf(Op op, long before) {
        return new Result(op.type() != CAS || before == op.expected(), before);
    }

    @Override
    public List<byte[]> executeBatch(List<byte[]> operations) {
        List<byte[]> results = new ArrayList<>(operations.size());
        for (byte[] bytes : operations) {
            Op op = Op.decode(bytes);
            if (op == null) {
                results.add(ERROR);
                continue;
            }
            long before = data.getOrDefault(op.key(), ABSENT);
            long after = apply(op, before);
            if (after != before) {
                data.put(op.key(), after);
            }
            results.add(resultOf(op, before).encode());
        }
        return results;
    }

    @Override
    public byte[] snapshot() {
        ByteBuffer b = ByteBuffer.allocate(4 + data.size() * 12);
        b.putInt(data.size());
        for (Map.Entry<Integer, Long> e : data.entrySet()) {
            b.putInt(e.getKey()).putLong(e.getValue());
        }
        return b.array();
    }

    @Override
    public void installSnapshot(byte[] snapshot) {
        ByteBuffer b = ByteBuffer.wrap(snapshot);
        if (snapshot.length < 4 || snapshot.length != 4 + 12L * b.getInt(0)) {
            throw new IllegalArgumentException("sim kv snapshot of " + snapshot.length + " bytes is malformed");
        }
        TreeMap<Integer, Long> fresh = new TreeMap<>();
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            fresh.put(b.getInt(), b.getLong());
        }
        data.clear();
        data.putAll(fresh);
    }

    @Override
    public byte[] stateDigest() {
        return Digests.sha256(snapshot());
    }
}
