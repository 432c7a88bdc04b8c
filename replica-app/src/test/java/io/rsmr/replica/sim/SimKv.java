package io.rsmr.replica.sim;

import io.rsmr.replica.kv.KvFormatException;
import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvOperation;
import io.rsmr.replica.kv.KvResult;
import io.rsmr.replica.kv.KvService;
import io.rsmr.replica.service.Service;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The simulator's side of the real {@link KvService}: operations on a few keys with long values,
 * their encoding as {@link KvOperation}s, the decoding of {@link KvResult}s, and the sequential
 * model (one register per key) that the linearizability checker replays.
 */
final class SimKv {
    static final byte PUT = 1;
    static final byte GET = 2;
    static final byte CAS = 3;
    static final byte DELETE = 4;
    static final long ABSENT = -1;
    /**
     * Few snapshot parts, so that the simulated transfers reuse some parts and fetch others; and a
     * tiny bucket target, so that the bucket count grows and shrinks as keys come and go (2, 4 or 8
     * buckets for the simulated clients' 1-3 keys of 10 bytes with their values), which every
     * replica must do alike.
     */
    private static final KvLimits LIMITS = new KvLimits(1024, 60 << 10, 1000, 60 << 10, 1_000_000, 2, 16, 2);

    private SimKv() {
    }

    static Service newService() {
        return new KvService(LIMITS);
    }

    /** An operation; value is written by PUT and CAS, expected is CAS's (ABSENT: key absent). */
    record Op(byte type, int key, long expected, long value) {
        byte[] encode() {
            byte[] k = ("k" + key).getBytes(StandardCharsets.US_ASCII);
            KvOperation op = switch (type) {
                case PUT -> new KvOperation.Put(k, bytes(value));
                case GET -> new KvOperation.Get(k);
                case DELETE -> new KvOperation.Delete(k);
                default -> new KvOperation.CompareAndSet(k, expected == ABSENT ? null : bytes(expected), bytes(value));
            };
            return op.encode();
        }
    }

    /** What a client saw: OK, VALUE(v), NOT_FOUND or CAS_FAILED(current). */
    record Result(byte kind, long value) {
        static final byte OK = 0;
        static final byte VALUE = 1;
        static final byte NOT_FOUND = 2;
        static final byte CAS_FAILED = 3;

        /** Null for anything the simulated clients never cause (errors, scans, foreign values). */
        static Result decode(byte[] bytes) {
            try {
                KvResult r = KvResult.decode(bytes, LIMITS);
                if (r instanceof KvResult.Ok) {
                    return new Result(OK, ABSENT);
                }
                if (r instanceof KvResult.NotFound) {
                    return new Result(NOT_FOUND, ABSENT);
                }
                if (r instanceof KvResult.Value v && v.value().length == 8) {
                    return new Result(VALUE, ByteBuffer.wrap(v.value()).getLong());
                }
                if (r instanceof KvResult.CasFailed f && (f.current() == null || f.current().length == 8)) {
                    return new Result(CAS_FAILED, f.current() == null ? ABSENT : ByteBuffer.wrap(f.current()).getLong());
                }
                return null;
            } catch (KvFormatException e) {
                return null;
            }
        }

        byte[] encode() {
            KvResult r = switch (kind) {
                case OK -> new KvResult.Ok();
                case VALUE -> new KvResult.Value(bytes(value));
                case NOT_FOUND -> new KvResult.NotFound();
                default -> new KvResult.CasFailed(value == ABSENT ? null : bytes(value));
            };
            return r.encode();
        }
    }

    private static byte[] bytes(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    /** The register after op, from the register before it. */
    static long apply(Op op, long before) {
        return switch (op.type()) {
            case PUT -> op.value();
            case DELETE -> ABSENT;
            case CAS -> before == op.expected() ? op.value() : before;
            default -> before;
        };
    }

    /** The result op returns on the register before it. */
    static Result resultOf(Op op, long before) {
        return switch (op.type()) {
            case PUT -> new Result(Result.OK, ABSENT);
            case GET, DELETE -> before == ABSENT ? new Result(Result.NOT_FOUND, ABSENT)
                    : op.type() == GET ? new Result(Result.VALUE, before) : new Result(Result.OK, ABSENT);
            default -> before == op.expected() ? new Result(Result.OK, ABSENT) : new Result(Result.CAS_FAILED, before);
        };
    }
}
