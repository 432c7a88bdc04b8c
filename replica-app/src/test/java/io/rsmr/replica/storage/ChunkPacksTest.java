package io.rsmr.replica.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.replica.protocol.message.Digests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pack files on a real file system: what a reopen finds after crashes, damage and compaction. */
class ChunkPacksTest {
    private static final int CHUNK_BYTES = 1000;
    /** Four records fit in a pack; the fifth begins the next. */
    private static final long PACK_BYTES_MAX = 4 * (ChunkPacks.HEADER_BYTES + CHUNK_BYTES);
    /** Every second record starts a background sync. */
    private static final long SYNC_AHEAD_BYTES = 2 * CHUNK_BYTES;

    @TempDir
    Path dir;

    private ChunkPacks open() throws IOException {
        return ChunkPacks.open(dir, FsyncPolicy.ALWAYS, PACK_BYTES_MAX, SYNC_AHEAD_BYTES);
    }

    private static List<byte[]> chunks(int count, long seed) {
        Random random = new Random(seed);
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] chunk = new byte[CHUNK_BYTES - i]; // lengths differ, so a wrong offset shows
            random.nextBytes(chunk);
            chunks.add(chunk);
        }
        return chunks;
    }

    private static void writeAll(ChunkPacks store, List<byte[]> chunks) throws IOException {
        for (byte[] chunk : chunks) {
            store.write(Digests.sha256(chunk), chunk);
        }
        store.syncListed(chunks.stream().map(Digests::sha256).toList());
    }

    private void writeAndClose(List<byte[]> chunks) throws IOException {
        ChunkPacks store = open();
        writeAll(store, chunks);
        store.close();
    }

    private List<Path> packs() throws IOException {
        try (var files = Files.list(dir.resolve(ChunkPacks.DIRECTORY))) {
            return files.sorted().toList();
        }
    }

    /** Which of {@code chunks} a fresh open reads back intact, as booleans. */
    private List<Boolean> intactAfterReopen(List<byte[]> chunks) throws IOException {
        ChunkPacks store = open();
        List<Boolean> intact = new ArrayList<>();
        for (byte[] chunk : chunks) {
            intact.add(Arrays.equals(chunk, store.read(Digests.sha256(chunk))));
        }
        store.close();
        return intact;
    }

    @Test
    void aReopenFindsEveryChunkWrittenAcrossRotatedPacks() throws IOException {
        List<byte[]> chunks = chunks(10, 1);
        writeAndClose(chunks);
        assertEquals(3, packs().size(), "4 + 4 + 2 records");
        assertEquals(List.of(true, true, true, true, true, true, true, true, true, true), intactAfterReopen(chunks));
        assertEquals(10, ChunkPacks.bodies(dir).size());
        ChunkPacks store = open();
        assertNull(store.read(Digests.sha256(new byte[] {1, 2, 3})), "a chunk never written is not there");
        writeAll(store, chunks);
        store.close();
        assertEquals(10, ChunkPacks.bodies(dir).size(), "intact chunks found at open are not written again");
    }

    @Test
    void aWriteTornByACrashLosesOnlyThatChunkWhichIsWrittenAgainLater() throws IOException {
        List<byte[]> chunks = chunks(3, 2);
        writeAndClose(chunks);
        ChunkPacks.Body last = ChunkPacks.bodies(dir).get(2);
        truncate(last.pack(), last.offset() + last.length() / 2);
        assertEquals(List.of(true, true, false), intactAfterReopen(chunks));
        truncate(last.pack(), last.offset() - 7);
        assertEquals(List.of(true, true, false), intactAfterReopen(chunks), "a header cut short");
        writeAndClose(chunks);
        assertEquals(List.of(true, true, true), intactAfterReopen(chunks), "fetched again, written to a new pack");
    }

    @Test
    void garbageInAPackEndsItsScanThereAndNeverCrashesOrLoops() throws IOException {
        List<byte[]> chunks = chunks(3, 3);
        writeAndClose(chunks);
        ChunkPacks.Body second = ChunkPacks.bodies(dir).get(1);
        long header = second.offset() - ChunkPacks.HEADER_BYTES;
        overwrite(second.pack(), header, new byte[] {9, 9, 9, 9});
        assertEquals(List.of(true, false, false), intactAfterReopen(chunks), "bad magic");
        overwrite(second.pack(), header, ByteBuffer.allocate(8).putInt(ChunkPacks.MAGIC).putInt(-5).array());
        assertEquals(List.of(true, false, false), intactAfterReopen(chunks), "a negative length");
        overwrite(second.pack(), header, ByteBuffer.allocate(8).putInt(ChunkPacks.MAGIC).putInt(1 << 30).array());
        assertEquals(List.of(true, false, false), intactAfterReopen(chunks), "a length beyond the file");
        byte[] noise = new byte[5000];
        new Random(4).nextBytes(noise);
        Files.write(dir.resolve(ChunkPacks.DIRECTORY).resolve("pack-0.pack"), noise);
        Files.write(dir.resolve(ChunkPacks.DIRECTORY).resolve("pack-x.pack"), noise);
        assertEquals(List.of(true, false, false), intactAfterReopen(chunks), "a pack of random bytes holds nothing");
    }

    @Test
    void aReadReturnsOverwrittenBytesAsTheyAreForTheCoreToReject() throws IOException {
        List<byte[]> chunks = chunks(2, 5);
        ChunkPacks store = open();
        writeAll(store, chunks);
        ChunkPacks.bodies(dir).get(0).overwrite(new Random(6), 64);
        byte[] read = store.read(Digests.sha256(chunks.get(0)));
        assertEquals(chunks.get(0).length, read.length);
        assertFalse(Arrays.equals(Digests.sha256(chunks.get(0)), Digests.sha256(read)), "the bad bytes, unverified");
        assertArrayEquals(chunks.get(1), store.read(Digests.sha256(chunks.get(1))));
        store.close();
        assertEquals(List.of(false, true), intactAfterReopen(chunks));
    }

    /**
     * Compaction of a mostly dead pack, with the directory as a crash would leave it between its
     * steps: after the copies were synced but before the old pack was deleted; with the copy torn;
     * with the copy's header on disk but not its bytes. Every chunk kept stays readable.
     */
    @Test
    void compactionKeepsTheListedChunksWhereverACrashStopsIt() throws IOException {
        List<byte[]> chunks = chunks(5, 7);
        ChunkPacks store = open();
        writeAll(store, chunks);
        Path oldPack = packs().get(0);
        byte[] oldBytes = Files.readAllBytes(oldPack);
        Set<ByteBuffer> keep = new HashSet<>();
        for (byte[] chunk : List.of(chunks.get(0), chunks.get(4))) {
            keep.add(ByteBuffer.wrap(Digests.sha256(chunk)));
        }
        assertEquals(3, store.deleteAllBut(keep));
        assertFalse(Files.exists(oldPack), "the pack with 1 live record of 4 was compacted away");
        assertArrayEquals(chunks.get(0), store.read(Digests.sha256(chunks.get(0))));
        assertNull(store.read(Digests.sha256(chunks.get(1))));
        store.close();
        List<byte[]> kept = List.of(chunks.get(0), chunks.get(4));
        assertEquals(List.of(true, true), intactAfterReopen(kept), "after the deletion");

        Files.write(oldPack, oldBytes);
        assertEquals(List.of(true, true), intactAfterReopen(kept), "crash before the old pack was deleted");
        ChunkPacks.Body copy = ChunkPacks.bodies(dir).stream()
                .filter(b -> !b.pack().equals(oldPack) && Arrays.equals(b.digest(), Digests.sha256(chunks.get(0))))
                .findFirst().orElseThrow();
        byte[] newBytes = Files.readAllBytes(copy.pack());
        overwrite(copy.pack(), copy.offset(), new byte[copy.length()]);
        assertEquals(List.of(true, true), intactAfterReopen(kept), "the copy's bytes lost, its header not");
        Files.write(copy.pack(), newBytes);
        truncate(copy.pack(), copy.offset() + 10);
        assertEquals(List.of(true, true), intactAfterReopen(kept), "the copy torn");

        store = open();
        store.deleteAllBut(keep);
        store.close();
        assertEquals(List.of(true, true), intactAfterReopen(kept), "the next compaction after such a crash");
    }

    @Test
    void aPackWithNoLiveChunkIsDeletedAndOnlyMostlyDeadPacksAreCopied() throws IOException {
        List<byte[]> chunks = chunks(9, 8);
        ChunkPacks store = open();
        writeAll(store, chunks);
        List<Path> before = packs();
        Set<ByteBuffer> keep = new HashSet<>();
        for (byte[] chunk : chunks.subList(4, 9)) {
            keep.add(ByteBuffer.wrap(Digests.sha256(chunk)));
        }
        store.deleteAllBut(keep);
        assertEquals(before.subList(1, 3), packs(), "the first pack went, the others are fully live");
        assertEquals(5, ChunkPacks.bodies(dir).size(), "nothing was copied");
        store.close();
        assertEquals(List.of(true, true, true, true, true), intactAfterReopen(chunks.subList(4, 9)));
    }

    @Test
    void oneMostlyDeadPackIsCopiedPerCompactionAndAnUnreadableRecordIsForgottenNotFatal() throws IOException {
        List<byte[]> chunks = chunks(12, 9);
        ChunkPacks store = open();
        writeAll(store, chunks);
        Set<ByteBuffer> keep = new HashSet<>();
        for (byte[] chunk : List.of(chunks.get(0), chunks.get(4), chunks.get(8), chunks.get(9))) {
            keep.add(ByteBuffer.wrap(Digests.sha256(chunk)));
        }
        List<Path> before = packs();
        store.deleteAllBut(keep);
        assertEquals(3, packs().size(), "of two packs with one live record of four, one was copied");
        Path left = before.subList(0, 2).stream().filter(Files::exists).findFirst().orElseThrow();
        truncate(left, 10);
        store.deleteAllBut(keep);
        assertFalse(Files.exists(left), "the other one went in the next call");
        int live = 0;
        for (byte[] chunk : chunks) {
            live += Arrays.equals(chunk, store.read(Digests.sha256(chunk))) ? 1 : 0;
        }
        assertEquals(3, live, "the record cut off in the file is forgotten, the other kept chunks stay");
        store.close();
    }

    private static void truncate(Path file, long bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(bytes);
        }
    }

    private static void overwrite(Path file, long at, byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            DiskFiles.writeFully(channel.position(at), ByteBuffer.wrap(bytes));
        }
    }
}
