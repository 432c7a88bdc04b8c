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
    counter++;
    frame.putInt(FrameOpener.BODY_OVERHEAD_BYTES + payload.length);
    frame.putLong(counter);
    frame.put(payload);
    mac.update(frame.array(), 4, 8 + payload.length);
    try {
      mac.doFinal(frame.array(), frame.position());
    } catch (ShortBufferException e) {
      throw new AssertionError("frame buffer sized for the MAC", e);
    }
    frame.position(frame.capacity());
    return frame.flip();
  }

  public long framesSealed() {
    return counter;
  }
}
