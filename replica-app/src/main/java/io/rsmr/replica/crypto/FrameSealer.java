package io.rsmr.replica.crypto;

import java.nio.ByteBuffer;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;

/**
 * Seals outgoing frames of one connection direction: {@code length(4) counter(8) payload mac(32)}
 * where the length counts everything after itself and the MAC is HMAC-SHA256 over counter and
 * payload. The counter starts at 1 and rises by one per frame, so the receiver spots a replay.
 * Not thread-safe: one sealer per connection, used by the thread that orders its frames.
 */
public final class FrameSealer {
    /** Bytes a sealed frame adds to its payload: length prefix, counter and MAC. */
    public static final int OVERHEAD_BYTES = 4 + FrameOpener.BODY_OVERHEAD_BYTES;

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

    public long framesSealed() {
        return counter;
    }
}
