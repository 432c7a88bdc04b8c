package io.rsmr.replica.protocol;

import java.nio.ByteBuffer;

/**
 * Part 0 of every checkpoint state: the protocol's own metadata — seq, hash chain and reply cache.
 * Including the reply cache makes exactly-once survive state transfer. The service's parts follow.
 */
final class CheckpointState {
    private CheckpointState() {
    }

    /** The decoded metadata part. */
    record Meta(long seq, byte[] chain, ReplyCache replies) {
    }

    static byte[] encodeMeta(long seq, byte[] chain, ReplyCache cache) {
        ByteBuffer out = ByteBuffer.allocate(8 + chain.length + cache.encodedBytes());
        out.putLong(seq);
        out.put(chain);
        cache.encode(out);
        return out.array();
    }

    /** Decodes a metadata part; throws IllegalArgumentException naming what is wrong. */
    static Meta decodeMeta(byte[] part, int clientsMax, int replyBytesMax) {
        ByteBuffer in = ByteBuffer.wrap(part);
        if (in.remaining() < 8 + 32) {
            throw new IllegalArgumentException("checkpoint metadata of " + part.length + " bytes is truncated");
        }
        long seq = in.getLong();
        byte[] chain = new byte[32];
        in.get(chain);
        ReplyCache cache = new ReplyCache(clientsMax);
        cache.decode(in, replyBytesMax);
        if (in.hasRemaining()) {
            throw new IllegalArgumentException(in.remaining() + " bytes after the checkpoint metadata");
        }
        return new Meta(seq, chain, cache);
    }
}
