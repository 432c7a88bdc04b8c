package io.rsmr.replica.crypto;

import javax.crypto.Mac;

/**
 * Checks incoming frame bodies of one connection direction (see {@link FrameSealer}). A frame is
 * accepted only with a valid MAC and a counter above every counter accepted before; anything else
 * is refused with a reason and changes nothing. A gap (frames removed in transit) is accepted:
 * whoever can cut frames can cut the connection too, and the protocol above tolerates loss, while
 * insisting on the exact next counter would turn one forged frame into a dead connection.
 */
public final class FrameOpener {
    /** Counter and MAC. */
    public static final int BODY_OVERHEAD_BYTES = 8 + Hmac.TAG_BYTES;

    /** Why a frame was refused. */
    public enum Verdict { ACCEPTED, TOO_SHORT, BAD_MAC, REPLAYED }

    private final Mac mac;
    private final byte[] expectedTag = new byte[Hmac.TAG_BYTES];
    private long lastCounter;

    FrameOpener(byte[] key) {
        this.mac = Hmac.keyed(key);
    }

    /**
     * Checks {@code body[offset, offset+length)} (the bytes after the length prefix). On
     * {@link Verdict#ACCEPTED} the payload is {@code body[offset+8, offset+length-32)}.
     */
    public Verdict open(byte[] body, int offset, int length) {
        if (length < BODY_OVERHEAD_BYTES) {
            return Verdict.TOO_SHORT;
        }
        int macOffset = offset + length - Hmac.TAG_BYTES;
        mac.update(body, offset, length - Hmac.TAG_BYTES);
        try {
            mac.doFinal(expectedTag, 0);
        } catch (javax.crypto.ShortBufferException e) {
            throw new AssertionError("tag buffer sized for the MAC", e);
        }
        if (!tagMatches(body, macOffset)) {
            return Verdict.BAD_MAC;
        }
        long counter = readLong(body, offset);
        if (counter <= lastCounter) {
            return Verdict.REPLAYED;
        }
        lastCounter = counter;
        return Verdict.ACCEPTED;
    }

    /** The highest counter accepted so far (0 before the first frame). */
    public long lastCounter() {
        return lastCounter;
    }

    /** Constant-time, so the time taken says nothing about how much of a forged tag was right. */
    private boolean tagMatches(byte[] body, int offset) {
        int difference = 0;
        for (int i = 0; i < expectedTag.length; i++) {
            difference |= expectedTag[i] ^ body[offset + i];
        }
        return difference == 0;
    }

    private static long readLong(byte[] bytes, int offset) {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = (value << 8) | (bytes[offset + i] & 0xff);
        }
        return value;
    }
}
