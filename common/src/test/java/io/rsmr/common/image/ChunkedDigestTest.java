package io.rsmr.common.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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

    /** Files by index into SIZES, small to big and back: nothing one check leaves carries over to the next. */
    private static final int[] ORDER = {0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0};

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
                ChunkedDigest.Chunks c;
                try (ChunkedDigest d = new ChunkedDigest(hashers, ChunkedDigest.DEFAULT_BLOCK_BYTES)) {
                    c = d.chunks(f, CHUNK);
                }
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

    /**
     * Blocks that divide the chunk, blocks that do not (the last block of each chunk is short), one
     * block per chunk and blocks bigger than the chunk: one object, reused across all the files.
     */
    @Test
    void aReusedObjectGivesTheDefinedDigestsAcrossFilesAndBlockSizes() throws Exception {
        int[] blockSizes = {ChunkedDigest.BLOCK_BYTES_MIN, 24 << 10, CHUNK, 4 * CHUNK};
        List<Path> files = new java.util.ArrayList<>();
        List<List<byte[]>> want = new java.util.ArrayList<>();
        for (int size : SIZES) {
            Path f = dir.resolve("f" + size);
            want.add(expectedDigests(write(f, size)));
            files.add(f);
        }
        for (int blockBytes : blockSizes) {
            for (int hashers : new int[] {1, 2, ChunkedDigest.HASHERS_MAX}) {
                try (ChunkedDigest d = new ChunkedDigest(hashers, blockBytes)) {
                    for (int i : ORDER) {
                        String what = SIZES[i] + " bytes, blocks of " + blockBytes + ", " + hashers + " hashers";
                        ChunkedDigest.Chunks c = d.chunks(files.get(i), CHUNK);
                        assertEquals(want.get(i).size(), c.digests().size(), what);
                        for (int k = 0; k < want.get(i).size(); k++) {
                            assertArrayEquals(want.get(i).get(k), c.digests().get(k), "chunk " + k + ", " + what);
                        }
                        assertEquals(Optional.empty(), d.check(files.get(i), new ChunkedDigest.Chunks(CHUNK, SIZES[i], want.get(i))), what);
                        assertEquals(d.blockCount(), d.freeBlocks(), what);
                    }
                }
            }
        }
    }

    @Test
    void aMismatchAReadFailureOrAnInterruptMidFileLeavesTheObjectUsable() throws Exception {
        int size = 12 * CHUNK + 5;
        Path f = dir.resolve("golden");
        byte[] data = write(f, size);
        ChunkedDigest.Chunks good = new ChunkedDigest.Chunks(CHUNK, size, expectedDigests(data));
        byte[] bad = data.clone();
        bad[2 * CHUNK + 7] ^= 1;
        Path corrupt = dir.resolve("corrupt");
        Files.write(corrupt, bad);
        try (ChunkedDigest d = new ChunkedDigest(2, ChunkedDigest.BLOCK_BYTES_MIN)) {
            for (int round = 0; round < 3; round++) {
                assertEquals(2, d.check(corrupt, good).orElseThrow().chunk());
                assertEquals(d.blockCount(), d.freeBlocks());
                assertEquals(Optional.empty(), d.check(f, good));

                // A directory opens, and its first read fails: in the reader thread, mid-run.
                java.io.IOException e = assertThrows(java.io.IOException.class, () -> d.check(dir, good));
                assertTrue(e.getMessage().contains("directory"), e.toString());
                assertEquals(d.blockCount(), d.freeBlocks());
                assertEquals(Optional.empty(), d.check(f, good));

                assertThrows(InterruptedException.class, () -> checkInterruptedMidFile(d, data, good));
                Thread.interrupted(); // set again if the interrupt also came while the check waited for its threads
                assertEquals(d.blockCount(), d.freeBlocks());
                assertEquals(Optional.empty(), d.check(f, good));
            }
        }
    }

    /**
     * Checks a named pipe that stalls after its first chunks, and interrupts this thread once the
     * check has taken them: the check is mid-file whenever the interrupt lands.
     */
    private void checkInterruptedMidFile(ChunkedDigest d, byte[] data, ChunkedDigest.Chunks good) throws Exception {
        Path fifo = dir.resolve("fifo");
        Files.deleteIfExists(fifo);
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread checker = Thread.currentThread();
        Thread writer = new Thread(() -> {
            try (java.io.OutputStream out = Files.newOutputStream(fifo)) {
                out.write(data, 0, 3 * CHUNK); // returns once the reader took all but the pipe's buffer
                checker.interrupt();
                release.await();
            } catch (IOException | InterruptedException e) {
                // The reader went away: what this test wants.
            }
        });
        writer.start();
        try {
            d.check(fifo, good);
        } finally {
            release.countDown();
            joinUninterruptibly(writer);
        }
    }

    private static void joinUninterruptibly(Thread t) {
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                // The check's own exception is what the caller sees; this only waits for the writer.
            }
        }
    }

    @Test
    void aClosedObjectRefusesToCheck() throws Exception {
        Path f = dir.resolve("f");
        write(f, 10);
        ChunkedDigest d = new ChunkedDigest();
        d.chunks(f, CHUNK);
        d.close();
        assertThrows(IllegalStateException.class, () -> d.chunks(f, CHUNK));
        assertThrows(IllegalArgumentException.class, () -> new ChunkedDigest(ChunkedDigest.HASHERS_MAX + 1, ChunkedDigest.DEFAULT_BLOCK_BYTES));
        assertThrows(IllegalArgumentException.class, () -> new ChunkedDigest(1, ChunkedDigest.BLOCK_BYTES_MIN - 1));
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
