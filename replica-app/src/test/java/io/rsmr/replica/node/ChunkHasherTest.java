package io.rsmr.replica.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.replica.protocol.Input;
import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.Digests;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChunkHasherTest {
    /** Every chunk comes back once, in the order it went in, with the SHA-256 of its bytes, and wakes the loop. */
    @Test
    void chunksComeBackInOrderWithTheDigestOfTheirBytes() throws InterruptedException {
        Semaphore wakeups = new Semaphore(0);
        List<ChunkData> sent = new ArrayList<>();
        Random random = new Random(3);
        try (ChunkHasher hasher = new ChunkHasher("test-hasher", wakeups::release)) {
            for (int i = 0; i < ChunkHasher.QUEUED_CHUNKS_MAX; i++) {
                byte[] bytes = new byte[1 + random.nextInt(5000)];
                random.nextBytes(bytes);
                // the vouched digest is a lie on purpose: the hasher reports what the bytes hash to
                ChunkData chunk = new ChunkData(7, i, new byte[Digests.DIGEST_BYTES], bytes);
                sent.add(chunk);
                assertTrue(hasher.submit(i % 3, chunk), "room for " + ChunkHasher.QUEUED_CHUNKS_MAX + " chunks");
            }
            List<Input.HashedChunk> back = new ArrayList<>();
            while (back.size() < sent.size()) {
                assertTrue(wakeups.tryAcquire(10, TimeUnit.SECONDS), "hashed chunks wake the event loop");
                hasher.drain(back::add);
            }
            for (int i = 0; i < sent.size(); i++) {
                assertEquals(i % 3, back.get(i).sender());
                assertTrue(back.get(i).chunk() == sent.get(i), "chunk " + i + " in order");
                assertArrayEquals(Digests.sha256(sent.get(i).bytes()), back.get(i).bytesDigest());
            }
        }
    }
}
