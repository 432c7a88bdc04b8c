package io.rsmr.common.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkedDigestTest {
    private static final int CHUNK = ChunkedDigest.CHUNK_BYTES_MIN;
    /** Empty, one byte, one chunk exactly, one chunk and a byte, several chunks with a short last one, several whole chunks. */
    private static final int[] SIZES = {0, 1, CHUNK, CHUNK + 1, 5 * CHUNK + 777, 8 * CHUNK};

    @TempDir
    Path dir;

    private byte[] write(Path file, int size) throws Exception {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        Files.write(file, data);
        return data;
    }

    /** The chunk digests as the format defines them, from slices of the bytes. */
    private static List<byte[]> expectedDigests(byte[] data) {
        List<byte[]> out = new java.util.ArrayList<>();
        for (int off = 0; off < data.length; off += CHUNK) {
            out.add(ImageFixtures.sha256(Arrays.copyOfRange(data, off, Math.min(data.length, off + CHUNK))));
        }
        return out;
    }

    @Test
    void everyChunkDigestAndTheRootMatchTheDefinitionOnAnyNumberOfThreads() throws Exception {
        for (int size : SIZES) {
            Path f = dir.resolve("f" + size);
            byte[] data = write(f, size);
            List<byte[]> want = expectedDigests(data);
            assertEquals((size + CHUNK - 1) / CHUNK, want.size());
            for (int hashers = 1; hashers <= ChunkedDigest.HASHERS_MAX; hashers++) {
                ChunkedDigest.Chunks c = ChunkedDigest.compute(f, CHUNK, hashers);
                assertEquals(size, c.bytes(), "size " + size);
                assertEquals(want.size(), c.digests().size(), "size " + size + ", " + hashers + " hashers");
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(want.get(i), c.digests().get(i), "chunk " + i + " of " + size + " bytes, " + hashers + " hashers");
                }
                assertEquals(ImageFixtures.chunkRoot(CHUNK, size, want.stream().map(HexFormat.of()::formatHex).toList()),
                        HexFormat.of().formatHex(c.root()));
            }
            assertEquals(Optional.empty(), ChunkedDigest.verify(f, new ChunkedDigest.Chunks(CHUNK, size, want)), "size " + size);
        }
    }

    @Test
    void theRootBindsTheChunkSizeAndTheFileSize() {
        byte[] d = ImageFixtures.sha256(new byte[] {1});
        byte[] root = new ChunkedDigest.Chunks(CHUNK, 1, List.of(d)).root();
        assertFalse(Arrays.equals(root, new ChunkedDigest.Chunks(2 * CHUNK, 1, List.of(d)).root()));
        assertFalse(Arrays.equals(root, new ChunkedDigest.Chunks(CHUNK, 2, List.of(d)).root()));
        assertThrows(IllegalArgumentException.class, () -> new ChunkedDigest.Chunks(CHUNK, CHUNK + 1, List.of(d)));
        assertThrows(IllegalArgumentException.class, () -> new ChunkedDigest.Chunks(ChunkedDigest.CHUNK_BYTES_MAX + 1, 1, List.of(d)));
    }

    @Test
    void aFlippedByteIsReportedInItsChunkWithBothDigests() throws Exception {
        int size = 8 * CHUNK + 100;
        Path f = dir.resolve("golden");
        byte[] data = write(f, size);
        ChunkedDigest.Chunks good = new ChunkedDigest.Chunks(CHUNK, size, expectedDigests(data));
        for (int chunk : new int[] {0, 3, 7, 8}) {
            byte[] bad = data.clone();
            int at = chunk * CHUNK + Math.min(99, chunk * 1000);
            bad[at] ^= 0x40;
            Files.write(f, bad);
            ChunkedDigest.Mismatch m = ChunkedDigest.verify(f, good).orElseThrow(() -> new AssertionError("chunk " + chunk + " not found bad"));
            assertEquals(chunk, m.chunk());
            assertEquals((long) chunk * CHUNK, m.offset());
            assertArrayEquals(good.digests().get(chunk), m.expected());
            assertArrayEquals(expectedDigests(bad).get(chunk), m.actual());
            assertTrue(m.describe().startsWith("chunk " + chunk + " at offset " + (long) chunk * CHUNK + ": sha256 "
                    + HexFormat.of().formatHex(m.actual()) + ", the manifest says " + HexFormat.of().formatHex(m.expected())), m.describe());
        }
    }

    @Test
    void aTruncatedOrExtendedFileFails() throws Exception {
        int size = 4 * CHUNK;
        Path f = dir.resolve("golden");
        byte[] data = write(f, size);
        ChunkedDigest.Chunks good = new ChunkedDigest.Chunks(CHUNK, size, expectedDigests(data));

        Files.write(f, Arrays.copyOf(data, size - 1)); // the last chunk is one byte short
        assertEquals(3, ChunkedDigest.verify(f, good).orElseThrow().chunk());

        Files.write(f, Arrays.copyOf(data, 2 * CHUNK)); // ends on a chunk boundary: chunk 2 is missing
        ChunkedDigest.Mismatch missing = ChunkedDigest.verify(f, good).orElseThrow();
        assertEquals(2, missing.chunk());
        assertNull(missing.actual());
        assertTrue(missing.describe().contains("missing"), missing.describe());

        Files.write(f, Arrays.copyOf(data, size + 1)); // one byte more: a fifth chunk the manifest does not have
        ChunkedDigest.Mismatch extra = ChunkedDigest.verify(f, good).orElseThrow();
        assertEquals(4, extra.chunk());
        assertNull(extra.expected());
        assertTrue(extra.describe().contains("past the end"), extra.describe());

        Files.write(f, new byte[0]);
        assertEquals(0, ChunkedDigest.verify(f, good).orElseThrow().chunk());
    }

    @Test
    void anUnreadableFileIsAnIoError() {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> ChunkedDigest.compute(dir.resolve("absent"), CHUNK));
    }
}
