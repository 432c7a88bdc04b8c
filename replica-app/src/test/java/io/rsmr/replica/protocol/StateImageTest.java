package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Digests;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Images share the service's part arrays, slice chunks on demand, and fall back to the store for parts they let go. */
class StateImageTest {
    private static final int CHUNK_BYTES = 4;

    @Test
    void chunksAreSlicesOfTheServicesPartsAndMatchTheManifest() {
        byte[] small = {1, 2, 3};
        byte[] large = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        StateImage image = StateImage.of(8, List.of(small, large), CHUNK_BYTES, null);
        assertEquals(List.of(1, 3), image.manifest.partChunks());
        assertSame(small, image.chunkInMemory(0), "a one-chunk part is served as the service's own array");
        assertArrayEquals(new byte[] {9, 10}, image.chunkInMemory(3));
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(image.manifest.chunkDigests().get(i), Digests.sha256(image.chunkInMemory(i)));
        }
    }

    @Test
    void anUnchangedPartKeepsItsDigestsAndAReplacedPartIsHashedAgain() {
        byte[] kept = {1, 2, 3, 4, 5, 6};
        byte[] replaced = {7, 8};
        StateImage first = StateImage.of(8, List.of(kept, replaced), CHUNK_BYTES, null);
        byte[] replacement = {7, 9};
        StateImage second = StateImage.of(16, List.of(kept, replacement), CHUNK_BYTES, first);
        assertEquals(first.manifest.chunkDigests().subList(0, 2), second.manifest.chunkDigests().subList(0, 2));
        assertArrayEquals(Digests.sha256(replacement), second.manifest.chunkDigests().get(2));
    }

    @Test
    void aPartTheServiceReplacedIsReadFromTheStoreAndChecked() {
        byte[] kept = {1, 2, 3};
        byte[] replaced = {4, 5, 6, 7, 8};
        StateImage image = StateImage.of(8, List.of(kept, replaced), CHUNK_BYTES, null);
        MemoryChunkStore store = new MemoryChunkStore();
        for (int i = 0; i < image.manifest.chunkCount(); i++) {
            store.persist(List.of(new Output.StateChunk(image.manifest.chunkDigests().get(i), image.chunkInMemory(i))));
        }
        Set<byte[]> live = Collections.newSetFromMap(new IdentityHashMap<>());
        live.add(kept);
        live.add(new byte[] {9});
        image.forgetPartsNotIn(live);

        assertSame(kept, image.chunk(0, store), "a part the service still holds stays in memory");
        assertNull(image.chunkInMemory(1), "a replaced part is let go");
        assertArrayEquals(new byte[] {4, 5, 6, 7}, image.chunk(1, store));
        assertArrayEquals(new byte[] {8}, image.chunk(2, store));

        store.chunks.replaceAll((digest, chunk) -> Arrays.equals(chunk, new byte[] {8}) ? new byte[] {0} : chunk);
        assertNull(image.chunk(2, store), "a chunk the store holds wrong is not served");
        store.chunks.clear();
        assertNull(image.chunk(1, store), "nor one it lost");
    }
}
