package io.rsmr.replica.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/** Strict reading of length-prefixed fields; every failure names the field. */
final class Bytes {
    private Bytes() {}

    static byte[] read(ByteBuffer in, int lengthBytes, int max, String field) throws KvFormatException {
        byte[] value = new byte[readLength(in, lengthBytes, max, field)];
        in.get(value);
        return value;
    }

    /** Reads a length prefix of {@code lengthBytes} (2 or 4) and checks that many bytes follow, at most {@code max}. */
    static int readLength(ByteBuffer in, int lengthBytes, int max, String field) throws KvFormatException {
        try {
            int length = lengthBytes == 2 ? Short.toUnsignedInt(in.getShort()) : in.getInt();
            if (length < 0 || length > max) {
                throw new KvFormatException(field + " of " + Integer.toUnsignedString(length) + " bytes exceeds " + max);
            }
            if (length > in.remaining()) {
                throw new KvFormatException(field + " truncated");
            }
            return length;
        } catch (BufferUnderflowException e) {
            throw new KvFormatException(field + " truncated");
        }
    }

    static int readInt(ByteBuffer in, String field) throws KvFormatException {
        if (in.remaining() < 4) {
            throw new KvFormatException(field + " truncated");
        }
        return in.getInt();
    }

    static byte readByte(ByteBuffer in, String field) throws KvFormatException {
        if (!in.hasRemaining()) {
            throw new KvFormatException(field + " missing");
        }
        return in.get();
    }

    static void expectEnd(ByteBuffer in, String what) throws KvFormatException {
        if (in.hasRemaining()) {
            throw new KvFormatException(in.remaining() + " trailing bytes after " + what);
        }
    }

    static int size2(byte[] value) {
        return 2 + value.length;
    }

    static int size4(byte[] value) {
        return 4 + (value == null ? 0 : value.length);
    }
}
