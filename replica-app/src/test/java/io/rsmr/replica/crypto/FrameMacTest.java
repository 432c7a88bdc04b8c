package io.rsmr.replica.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FrameMacTest {
    private final byte[] key = new byte[32];
    private final FrameKeys sender = new FrameKeys(key, new byte[32]);

    private static byte[] body(ByteBuffer frame) {
        assertEquals(frame.remaining() - 4, frame.getInt(0));
        return Arrays.copyOfRange(frame.array(), 4, frame.limit());
    }

    @Test
    void sealedFramesOpenInOrderAndCarryThePayload() {
        key[0] = 9;
        FrameSealer sealer = new FrameKeys(key, new byte[32]).sealer();
        FrameOpener opener = new FrameKeys(new byte[32], key).opener();
        for (int i = 0; i < 3; i++) {
            byte[] payload = ("message " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] body = body(sealer.seal(payload));
            assertEquals(FrameOpener.Verdict.ACCEPTED, opener.open(body, 0, body.length));
            assertArrayEquals(payload, Arrays.copyOfRange(body, 8, body.length - Hmac.TAG_BYTES));
        }
        assertEquals(3, opener.lastCounter());
    }

    @Test
    void replayedFrameIsRefusedAndDoesNotDisturbTheStream() {
        FrameSealer sealer = sender.sealer();
        FrameOpener opener = new FrameKeys(new byte[32], key).opener();
        byte[] first = body(sealer.seal(new byte[] {1}));
        byte[] second = body(sealer.seal(new byte[] {2}));
        assertEquals(FrameOpener.Verdict.ACCEPTED, opener.open(first, 0, first.length));
        assertEquals(FrameOpener.Verdict.REPLAYED, opener.open(first, 0, first.length));
        assertEquals(FrameOpener.Verdict.ACCEPTED, opener.open(second, 0, second.length));
    }

    @Test
    void afterAGapTheSkippedFrameCannotComeLater() {
        FrameSealer sealer = sender.sealer();
        FrameOpener opener = new FrameKeys(new byte[32], key).opener();
        byte[] first = body(sealer.seal(new byte[0]));
        byte[] second = body(sealer.seal(new byte[0]));
        assertEquals(FrameOpener.Verdict.ACCEPTED, opener.open(second, 0, second.length));
        assertEquals(FrameOpener.Verdict.REPLAYED, opener.open(first, 0, first.length));
        assertEquals(2, opener.lastCounter());
    }

    @Test
    void everySingleBitFlipIsCaught() {
        byte[] body = body(sender.sealer().seal(new byte[] {1, 2, 3}));
        for (int bit = 0; bit < body.length * 8; bit++) {
            byte[] mutated = body.clone();
            mutated[bit / 8] ^= (byte) (1 << (bit % 8));
            FrameOpener opener = new FrameKeys(new byte[32], key).opener();
            assertEquals(FrameOpener.Verdict.BAD_MAC, opener.open(mutated, 0, mutated.length), "bit " + bit);
        }
    }

    private static byte[] detachedBody(FrameSealer sealer, byte[] head, byte[] tail) {
        ByteBuffer frame = ByteBuffer.allocate(FrameSealer.DETACHED_OVERHEAD_BYTES + head.length + tail.length);
        sealer.sealDetachedInto(frame, head, tail.length);
        frame.put(tail).flip();
        return body(frame);
    }

    /** Every bit of a detached frame's counter, head length, head and MAC is checked; none of its tail. */
    @Test
    void aDetachedFrameAuthenticatesEveryBitButItsTail() {
        byte[] head = {7, 8, 9};
        byte[] tail = {1, 2, 3, 4};
        byte[] body = detachedBody(sender.sealer(), head, tail);
        int tailAt = body.length - tail.length;
        FrameOpener fresh = new FrameKeys(new byte[32], key).opener();
        assertEquals(FrameOpener.Verdict.ACCEPTED_DETACHED, fresh.open(body, 0, body.length));
        assertEquals(head.length, FrameOpener.headLength(body, 0));
        assertArrayEquals(head, Arrays.copyOfRange(body, FrameOpener.DETACHED_HEAD_AT, FrameOpener.DETACHED_HEAD_AT + head.length));
        assertArrayEquals(tail, Arrays.copyOfRange(body, tailAt, body.length));
        for (int bit = 0; bit < body.length * 8; bit++) {
            byte[] mutated = body.clone();
            mutated[bit / 8] ^= (byte) (1 << (bit % 8));
            FrameOpener opener = new FrameKeys(new byte[32], key).opener();
            FrameOpener.Verdict verdict = opener.open(mutated, 0, mutated.length);
            if (bit / 8 >= tailAt) {
                assertEquals(FrameOpener.Verdict.ACCEPTED_DETACHED, verdict, "tail bit " + bit);
            } else {
                assertEquals(FrameOpener.Verdict.BAD_MAC, verdict, "bit " + bit);
            }
        }
    }

    /** Detached and sealed frames share one counter: neither kind can be replayed, or reordered with the other. */
    @Test
    void detachedAndSealedFramesShareOneCounter() {
        FrameSealer sealer = sender.sealer();
        FrameOpener opener = new FrameKeys(new byte[32], key).opener();
        byte[] first = body(sealer.seal(new byte[] {1}));
        byte[] second = detachedBody(sealer, new byte[] {2}, new byte[] {3});
        byte[] third = body(sealer.seal(new byte[] {4}));
        assertEquals(FrameOpener.Verdict.ACCEPTED, opener.open(first, 0, first.length));
        assertEquals(FrameOpener.Verdict.ACCEPTED_DETACHED, opener.open(second, 0, second.length));
        assertEquals(FrameOpener.Verdict.REPLAYED, opener.open(second, 0, second.length));
        assertEquals(FrameOpener.Verdict.ACCEPTED, opener.open(third, 0, third.length));
        assertEquals(3, opener.lastCounter());
    }

    @Test
    void aDetachedHeadLongerThanItsFrameIsRefused() {
        byte[] body = detachedBody(sender.sealer(), new byte[] {1}, new byte[0]);
        body[11] = 40;
        FrameOpener opener = new FrameKeys(new byte[32], key).opener();
        assertEquals(FrameOpener.Verdict.BAD_MAC, opener.open(body, 0, body.length));
    }

    @Test
    void shortBodyIsRefused() {
        FrameOpener opener = new FrameKeys(new byte[32], key).opener();
        assertEquals(FrameOpener.Verdict.TOO_SHORT, opener.open(new byte[39], 0, 39));
    }
}
