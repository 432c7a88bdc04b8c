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

    @Test
    void shortBodyIsRefused() {
        FrameOpener opener = new FrameKeys(new byte[32], key).opener();
        assertEquals(FrameOpener.Verdict.TOO_SHORT, opener.open(new byte[39], 0, 39));
    }
}
