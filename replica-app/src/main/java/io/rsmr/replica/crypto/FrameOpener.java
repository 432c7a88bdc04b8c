package io.rsmr.replica.crypto;

import javax.crypto.Mac;

/**
 * Checks incoming frame bodies of one connection direction (see {@link FrameSealer}). A frame is
 * accepted only with a valid MAC and a counter above every counter accepted before; anything else
 * is refused with a reason and changes nothing. A gap (frames removed in transit) is accepted:
 * whoever can cut frames can cut the connection too, and the protocol above tolerates loss, while
 * insisting on the exact next counter would turn one forged frame into a dead connection.
 *
 * <p>A detached frame ({@link FrameSealer#sealDetachedInto}) is accepted on its head alone: whoever
 * can change bytes on the wire can change its tail undetected here. The head must therefore say
 * what the tail is — a state-transfer chunk's head holds the SHA-256 of its bytes, which the
 * receiver checks before it uses them — and the receiver must refuse a detached frame whose head is
 * anything else (see the replica's shell, {@code ReplicaNode}). What such an attacker still cannot
 * do: forge or alter a head (seq, index, digest, length), replay or reorder frames, or make a replica
 * use a chunk that is not the certified one. What it can: spoil a chunk's bytes in transit. The
 * receiver cannot tell that from a sender that sent wrong bytes, so it treats it as it treats a frame
 * with a bad MAC: the chunk is refused and asked for again, and nobody is blamed (blaming the sender
 * would let such an attacker make a replica avoid correct peers for the rest of its recovery, which
 * cutting connections cannot: they come back). A sender whose authenticated head vouches for a
 * digest other than the certified one has lied under its own key and is avoided.
 */
public final class FrameOpener {
    /** Counter and MAC. */
    public static final int BODY_OVERHEAD_BYTES = 8 + Hmac.TAG_BYTES;

    /** The counter's top bit: the frame is detached (the sealer's counter never reaches it). */
    static final long DETACHED = Long.MIN_VALUE;
    /** Where a detached body's head starts: after the counter and the head length. */
    public static final int DETACHED_HEAD_AT = 8 + 4;

    /** Why a frame was refused, or how it was accepted. */
    public enum Verdict { ACCEPTED, ACCEPTED_DETACHED, TOO_SHORT, BAD_MAC, REPLAYED }

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
        long counter = readLong(body, offset);
        if ((counter & DETACHED) != 0) {
            return openDetached(body, offset, length, counter & ~DETACHED);
        }
        return accept(body, offset, length - Hmac.TAG_BYTES, counter, Verdict.ACCEPTED);
    }

    /**
     * Checks a detached body; on {@link Verdict#ACCEPTED_DETACHED} its head is
     * {@code body[offset+DETACHED_HEAD_AT, +headLength(body, offset))} and its unauthenticated tail
     * the rest after the MAC.
     */
    private Verdict openDetached(byte[] body, int offset, int length, long counter) {
        // a body too short for its head: no sealer made it (a counter or head length changed on the way)
        if (length < DETACHED_HEAD_AT + Hmac.TAG_BYTES) {
            return Verdict.BAD_MAC;
        }
        int headLength = headLength(body, offset);
        if (headLength < 0 || headLength > length - DETACHED_HEAD_AT - Hmac.TAG_BYTES) {
            return Verdict.BAD_MAC;
        }
        return accept(body, offset, DETACHED_HEAD_AT + headLength, counter, Verdict.ACCEPTED_DETACHED);
    }

    /** Accepts when the MAC after {@code body[offset, offset+macCovers)} is right and the counter new. */
    private Verdict accept(byte[] body, int offset, int macCovers, long counter, Verdict accepted) {
        mac.update(body, offset, macCovers);
        try {
            mac.doFinal(expectedTag, 0);
        } catch (javax.crypto.ShortBufferException e) {
            throw new AssertionError("tag buffer sized for the MAC", e);
        }
        if (!tagMatches(body, offset + macCovers)) {
            return Verdict.BAD_MAC;
        }
        if (counter <= lastCounter) {
            return Verdict.REPLAYED;
        }
        lastCounter = counter;
        return accepted;
    }

    /** The head length a detached body at offset declares (checked by {@link #open} before it is accepted). */
    public static int headLength(byte[] body, int offset) {
        int at = offset + 8;
        return (body[at] & 0xff) << 24 | (body[at + 1] & 0xff) << 16 | (body[at + 2] & 0xff) << 8 | body[at + 3] & 0xff;
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
