package io.rsmr.replica.protocol;

import java.nio.ByteBuffer;

/**
 * The bytes a checkpoint certifies: seq, hash chain, reply cache and the service snapshot.
 * Including the reply cache makes exactly-once survive state transfer.
 */
final class CheckpointState {
    private CheckpointState() {
    }

    static byte[] encode(long seq, byte[] chain, ReplyCache cache, byte[] serviceSnapshot) {
        ByteBuffer out = ByteBuffer.allocate(8 + chain.length + cache.encodedBytes() + 4 + serviceSnapshot.length);
        out.putLong(seq);
        out.put(chain);
        cache.encode(out);
        out.putInt(serviceSnapshot.length);
        out.put(serviceSnapshot);
        return out.array();
    }

    /** The seq a state was taken at; throws IllegalArgumentException when there is none. */
    static long seqOf(byte[] state) {
        if (state.length < 8) {
            throw new IllegalArgumentException("checkpoint state of " + state.length + " bytes has no seq");
        }
        return ByteBuffer.wrap(state).getLong();
    }

    static byte[] chainOf(ByteBuffer in) {
        if (in.remaining() < 32) {
            throw new IllegalArgumentException("checkpoint state truncated in chain hash");
        }
        byte[] chain = new byte[32];
        in.get(chain);
        return chain;
    }

    static byte[] serviceOf(ByteBuffer in) {
        if (in.remaining() < 4) {
            throw new IllegalArgumentException("checkpoint state truncated before service snapshot");
        }
        int length = in.getInt();
        if (length != in.remaining()) {
            throw new IllegalArgumentException("service snapshot length " + length + " but " + in.remaining() + " bytes left");
        }
        byte[] snapshot = new byte[length];
        in.get(snapshot);
        return snapshot;
    }
}
