package io.rsmr.replica.crypto;

import java.nio.ByteBuffer;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;

/**
 * Seals outgoing frames of one connection direction: {@code length(4) counter(8) payload mac(32)}
 * where the length counts everything after itself and the MAC is HMAC-SHA256 over counter and
 * payload. The counter starts at 1 and rises by one per frame, so the receiver spots a replay.
 * Not thread-safe: one sealer per connection, used by the thread that orders its frames.
 *
 * <p>A <em>detached</em> frame ({@link #sealDetachedInto}) authenticates a head but not the tail
 * that follows it: {@code length(4) counter|DETACHED(8) headLength(4) head mac(32) tail}, the MAC
 * over counter, head length and head. It carries state-transfer chunks, whose head holds the
 * SHA-256 of the tail; hashing the tail for a MAC as well as for that digest made every chunk
 * byte pass through SHA-256 twice on arrival (see {@link FrameOpener} for what this allows).
 */
public final class FrameSealer {
    /** Bytes a sealed frame adds to its payload: length prefix, counter and MAC. */
    public static final int OVERHEAD_BYTES = 4 + FrameOpener.BODY_OVERHEAD_BYTES;
    /** Bytes a detached frame adds to its head and tail: length prefix, counter, head length and MAC. */
    public static final int DETACHED_OVERHEAD_BYTES = 4 + FrameOpener.DETACHED_HEAD_AT + Hmac.TAG_BYTES;

    private final Mac mac;
    private long counter;

    FrameSealer(byte[] key) {
        this.mac = Hmac.keyed(key);
    }

    /** The whole frame, length prefix included, as a new buffer ready to write. */
    public ByteBuffer seal(byte[] payload) {
        ByteBuffer frame = ByteBuffer.allocate(OVERHEAD_BYTES + payload.length);
        sealInto(frame, payload);
        return frame.flip();
    }

    /**
     * Appends the whole frame to a heap buffer with at least {@code OVERHEAD_BYTES +
     * payload.length} bytes remaining, so many frames share one buffer and one write.
     */
    public void sealInto(ByteBuffer out, byte[] payload) {
        assert out.hasArray() && out.remaining() >= OVERHEAD_BYTES + payload.length;
        counter++;
        int start = out.arrayOffset() + out.position();
        out.putInt(FrameOpener.BODY_OVERHEAD_BYTES + payload.length);
        out.putLong(counter);
        out.put(payload);
        mac.update(out.array(), start + 4, 8 + payload.length);
        try {
            mac.doFinal(out.array(), out.arrayOffset() + out.position());
        } catch (ShortBufferException e) {
            throw new AssertionError("frame buffer sized for the MAC", e);
        }
        out.position(out.position() + Hmac.TAG_BYTES);
    }

    /**
     * Appends a detached frame's length prefix, counter, head and MAC to a heap buffer with at
     * least {@link #DETACHED_OVERHEAD_BYTES} {@code + head.length} bytes remaining; the caller
     * writes the {@code tailLength} bytes of the tail right after it.
     */
    public void sealDetachedInto(ByteBuffer out, byte[] head, int tailLength) {
        assert out.hasArray() && out.remaining() >= DETACHED_OVERHEAD_BYTES + head.length && tailLength >= 0;
        counter++;
        int start = out.arrayOffset() + out.position();
        out.putInt(FrameOpener.DETACHED_HEAD_AT + head.length + Hmac.TAG_BYTES + tailLength);
        out.putLong(counter | FrameOpener.DETACHED);
        out.putInt(head.length);
        out.put(head);
        mac.update(out.array(), start + 4, FrameOpener.DETACHED_HEAD_AT + head.length);
        try {
            mac.doFinal(out.array(), out.arrayOffset() + out.position());
        } catch (ShortBufferException e) {
            throw new AssertionError("frame buffer sized for the MAC", e);
        }
        out.position(out.position() + Hmac.TAG_BYTES);
    }

    public long framesSealed() {
        return counter;
    }
}
