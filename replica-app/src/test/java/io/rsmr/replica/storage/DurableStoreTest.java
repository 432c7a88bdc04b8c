package io.rsmr.replica.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.common.crypto.Hex;
import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.ProtocolConfig;
import io.rsmr.replica.protocol.Start;
import io.rsmr.replica.protocol.message.Batch;
import io.rsmr.replica.protocol.message.Checkpoint;
import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.protocol.message.StateManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data directory on a real file system: what each kind of damage makes of the next boot. */
class DurableStoreTest {
    private static final MessageCodec CODEC = new MessageCodec(ProtocolConfig.defaults(4, 0, 1));
    private static final long SEGMENT_BYTES_MAX = 1 << 20;

    @TempDir
    Path dir;

    private DurableStore open(long epoch) throws IOException {
        return DurableStore.open(dir, owner(epoch), CODEC, FsyncPolicy.ALWAYS, SEGMENT_BYTES_MAX);
    }

    /** The identity of one epoch: each epoch has its own key. */
    private static EpochKey owner(long epoch) {
        return EpochKey.of(epoch, ("public key of epoch " + epoch).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aDirectoryThatNeverRanStartsFreshInTheFirstEpochOnly() throws IOException {
        try (DurableStore store = open(1)) {
            assertSame(Start.FRESH, store.start());
        }
        Path other = dir.resolve("other");
        try (DurableStore store = DurableStore.open(other, owner(3), CODEC, FsyncPolicy.ALWAYS, SEGMENT_BYTES_MAX)) {
            assertInstanceOf(Start.Recover.class, store.start());
            assertTrue(store.startReason().contains("epoch 3"), store.startReason());
        }
    }

    @Test
    void aDirectoryThatRanBeforeButLostItsLogRecovers() throws IOException {
        try (DurableStore store = open(1)) {
            assertSame(Start.FRESH, store.start());
        }
        deleteTree(dir.resolve(WriteAheadLog.DIRECTORY));
        assertRecovers(1, "log is gone");
    }

    @Test
    void resumesWithTheVotesAboveTheStableCheckpointAndItsManifest() throws IOException {
        Fixture f = new Fixture();
        writeHistory(f);
        try (DurableStore store = open(1)) {
            Start.Resume resume = assertInstanceOf(Start.Resume.class, store.start(), store.startReason());
            assertEquals(f.checkpoint.seq(), resume.stable().seq());
            assertArrayEquals(f.checkpoint.stateDigest(), resume.stable().stateDigest());
            assertArrayEquals(f.manifest.root(), resume.manifest().root());
            assertEquals(List.of(9L, 10L, 11L), resume.accepted().stream().map(Output.LogEntry::seq).sorted().toList());
            Output.LogEntry eleven = resume.accepted().stream().filter(e -> e.seq() == 11).findFirst().orElseThrow();
            assertArrayEquals(f.batch(11).digest(), eleven.batch().digest());
            assertArrayEquals(f.batch(11).operation(0), eleven.batch().operation(0));
            assertEquals(List.of(9L, 10L), resume.prepared().stream().map(Output.Prepared::seq).sorted().toList());
            assertEquals(2, resume.view());
            assertTrue(resume.inViewChange());
            for (byte[] digest : f.manifest.chunkDigests()) {
                assertArrayEquals(digest, Digests.sha256(store.chunks().read(digest)));
            }
        }
    }

    @Test
    void aWriteTornByACrashAtTheEndIsCutOffAndTheRestResumes() throws IOException {
        Fixture f = new Fixture();
        writeHistory(f);
        Path last = lastSegment();
        long intact = Files.size(last);
        byte[] tornRecord = WalRecord.frame(WalRecord.LOG_ENTRY, 1, WalRecord.logEntry(
                new Output.LogEntry(2, 12, f.batch(12)), CODEC));
        append(last, java.util.Arrays.copyOf(tornRecord, tornRecord.length / 2));
        try (DurableStore store = open(1)) {
            Start.Resume resume = assertInstanceOf(Start.Resume.class, store.start(), store.startReason());
            assertEquals(3, resume.accepted().size());
            assertEquals(intact, Files.size(last), "the torn record was cut off");
        }
        try (DurableStore store = open(1)) {
            assertInstanceOf(Start.Resume.class, store.start(), "the cut log stays good: " + store.startReason());
        }
    }

    @Test
    void aLogTruncatedInsideItsLastSegmentKeepsItsPrefix() throws IOException {
        Fixture f = new Fixture();
        writeHistory(f);
        Path last = lastSegment();
        truncate(last, Files.size(last) - 5);
        try (DurableStore store = open(1)) {
            Start.Resume resume = assertInstanceOf(Start.Resume.class, store.start(), store.startReason());
            assertEquals(List.of(9L, 10L), resume.accepted().stream().map(Output.LogEntry::seq).sorted().toList());
        }
    }

    @Test
    void aSegmentTruncatedBeforeTheLastOneMakesTheLogUntrusted() throws IOException {
        Fixture f = new Fixture();
        writeHistory(f);
        try (DurableStore store = open(1)) {
            store.persist(new Output.LogEntry(2, 12, f.batch(12)));
            store.commit();
        }
        List<Path> segments = WriteAheadLog.segments(dir);
        assertTrue(segments.size() >= 2);
        Path earlier = segments.get(segments.size() - 2);
        truncate(earlier, Files.size(earlier) - 5);
        assertRecovers(1, "inside the log");
    }

    @Test
    void aFlippedByteInTheMiddleMakesTheWholeLogUntrusted() throws IOException {
        Fixture f = new Fixture();
        writeHistory(f);
        Path last = lastSegment();
        byte[] bytes = Files.readAllBytes(last);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(last, bytes);
        assertRecovers(1, "damaged");
        try (DurableStore store = open(1)) {
            assertInstanceOf(Start.Recover.class, store.start(), "a recovery that did not finish is not trusted");
            assertTrue(store.startReason().contains("did not finish"), store.startReason());
        }
    }

    @Test
    void everyFlippedByteOfTheLogIsCaught() throws IOException {
        Fixture f = new Fixture();
        writeHistory(f);
        Path last = lastSegment();
        byte[] good = Files.readAllBytes(last);
        Random random = new Random(7);
        for (int trial = 0; trial < 40; trial++) {
            byte[] bad = good.clone();
            int at = random.nextInt(bad.length);
            bad[at] ^= (byte) (1 + random.nextInt(255));
            Files.write(last, bad);
            List<Path> segments = WriteAheadLog.segments(dir);
            try {
                WalContents contents = WalContents.read(segments, CODEC, CODEC.config().messageBytesMax() + 64);
                assertTrue(contents.tornTail() != null, "byte " + at + " flipped, yet the log reads clean");
            } catch (CorruptStorageException e) {
                assertTrue(e.getMessage().contains(last.getFileName().toString()) || e.getMessage().contains("record"),
                        e.getMessage());
            }
        }
    }

    @Test
    void aLogOfAnotherEpochIsNotTrustedAndTrustReturnsOnlyAfterRecovery() throws IOException {
        Fixture f = new Fixture();
        writeHistory(f);
        try (DurableStore store = open(2)) {
            assertInstanceOf(Start.Recover.class, store.start());
            assertTrue(store.startReason().contains("epoch 1"), store.startReason());
            assertNotNullChunk(store, f.manifest.chunkDigests().get(0));
            store.recovered(f.checkpoint.seq());
            store.commit();
        }
        try (DurableStore store = open(2)) {
            assertInstanceOf(Start.Recover.class, store.start(), "no checkpoint of the recovered state is durable yet");
            store.recovered(f.checkpoint.seq());
            store.persist(new Output.StableCheckpoint(f.checkpoint, f.manifest));
            store.commit();
        }
        try (DurableStore store = open(2)) {
            Start.Resume resume = assertInstanceOf(Start.Resume.class, store.start(), store.startReason());
            assertEquals(f.checkpoint.seq(), resume.stable().seq());
        }
    }

    @Test
    void aLogAndCheckpointClaimingThisEpochUnderAnotherKeyAreNotTrusted() throws IOException {
        Fixture f = new Fixture();
        EpochKey intruder = EpochKey.of(2, "a key the intruder made".getBytes(StandardCharsets.UTF_8));
        try (DurableStore store = DurableStore.open(dir, intruder, CODEC, FsyncPolicy.ALWAYS, SEGMENT_BYTES_MAX)) {
            assertInstanceOf(Start.Recover.class, store.start());
            store.recovered(0);
            store.commit();
            f.writeHistory(store);
        }
        try (DurableStore store = DurableStore.open(dir, intruder, CODEC, FsyncPolicy.ALWAYS, SEGMENT_BYTES_MAX)) {
            assertInstanceOf(Start.Resume.class, store.start(), "its own key would resume: " + store.startReason());
        }
        try (DurableStore store = open(2)) {
            assertInstanceOf(Start.Recover.class, store.start());
            assertTrue(store.startReason().contains("log claims epoch 2 but was written under another key"),
                    store.startReason());
            store.recovered(0);
            store.commit();
        }
        CheckpointFile.write(dir, new CheckpointFile.Contents(intruder, f.checkpoint, f.manifest), CODEC,
                FsyncPolicy.NONE);
        try (DurableStore store = open(2)) {
            assertInstanceOf(Start.Recover.class, store.start(), "its own log, a forged checkpoint file: "
                    + store.startReason());
            assertTrue(store.startReason().contains("checkpoint file claims epoch 2 but was written under another key"),
                    store.startReason());
        }
    }

    @Test
    void aRolledBackButConsistentCheckpointFileIsCaught() throws IOException {
        Fixture f = new Fixture();
        Path saved = dir.resolveSibling(dir.getFileName() + "-old-checkpoint");
        try (DurableStore store = open(1)) {
            f.writeHistory(store);
            Files.copy(dir.resolve(CheckpointFile.NAME), saved);
            Fixture later = new Fixture(16);
            later.manifestChunks.forEach(chunk -> persist(store, new Output.StateChunk(Digests.sha256(chunk), chunk)));
            store.persist(new Output.StableCheckpoint(later.checkpoint, later.manifest));
            store.commit();
        }
        Files.copy(saved, dir.resolve(CheckpointFile.NAME), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertRecovers(1, "rolled back");
    }

    @Test
    void aDeletedOrDamagedCheckpointFileOrAMissingChunkMeansRecover() throws IOException {
        Fixture f = new Fixture();
        for (String damage : List.of("deleted", "flipped", "truncated", "chunk")) {
            Path one = dir.resolve(damage);
            try (DurableStore store = DurableStore.open(one, owner(1), CODEC, FsyncPolicy.ALWAYS, SEGMENT_BYTES_MAX)) {
                f.writeHistory(store);
            }
            Path file = one.resolve(CheckpointFile.NAME);
            switch (damage) {
                case "deleted" -> Files.delete(file);
                case "flipped" -> {
                    byte[] bytes = Files.readAllBytes(file);
                    bytes[20] ^= 1;
                    Files.write(file, bytes);
                }
                case "truncated" -> truncate(file, Files.size(file) / 2);
                default -> cutBefore(one, f.manifest.chunkDigests().get(1));
            }
            try (DurableStore store = DurableStore.open(one, owner(1), CODEC, FsyncPolicy.ALWAYS, SEGMENT_BYTES_MAX)) {
                assertInstanceOf(Start.Recover.class, store.start(), damage);
                assertFalse(store.startReason().isBlank());
            }
        }
    }

    /** Truncates the pack holding {@code digest} just before its record: that chunk and those after it are gone. */
    private static void cutBefore(Path dataDir, byte[] digest) throws IOException {
        ChunkPacks.Body body = body(dataDir, digest);
        truncate(body.pack(), body.offset() - ChunkPacks.HEADER_BYTES);
    }

    private static ChunkPacks.Body body(Path dataDir, byte[] digest) throws IOException {
        return ChunkPacks.bodies(dataDir).stream().filter(b -> Arrays.equals(digest, b.digest())).reduce((a, b) -> b)
                .orElseThrow();
    }

    @Test
    void chunksAreWrittenOnceRepairedWhenDamagedAndCollectedAfterACheckpoint() throws IOException {
        Fixture f = new Fixture();
        byte[] stray = "a chunk of an older state".getBytes(StandardCharsets.UTF_8);
        byte[] later = "a chunk fetched after the checkpoint".getBytes(StandardCharsets.UTF_8);
        byte[] first = f.manifestChunks.get(0);
        try (DurableStore store = open(1)) {
            ChunkPacks chunks = (ChunkPacks) store.chunks();
            store.persist(new Output.StateChunk(Digests.sha256(stray), stray));
            store.commit();
            assertArrayEquals(stray, chunks.read(Digests.sha256(stray)));
            assertNull(chunks.read(Digests.sha256(later)));
            f.writeHistory(store);
            assertArrayEquals(stray, chunks.read(Digests.sha256(stray)), "a chunk written just before a checkpoint "
                    + "stays a while: the core writes an image's chunks when it takes it, before the image is stable");
            int records = ChunkPacks.bodies(dir).size();
            f.manifestChunks.forEach(chunk -> persist(store, new Output.StateChunk(Digests.sha256(chunk), chunk)));
            store.commit();
            assertEquals(records, ChunkPacks.bodies(dir).size(), "chunks this process wrote are not written again");
            for (int write = 1; write < 3; write++) {
                store.persist(new Output.StableCheckpoint(f.checkpoint, f.manifest));
                store.commit();
            }
            assertNull(chunks.read(Digests.sha256(stray)), "a chunk no checkpoint lists is collected after 3 checkpoint writes");
            store.persist(new Output.StableCheckpoint(f.checkpoint, f.manifest));
            store.persist(new Output.StateChunk(Digests.sha256(later), later));
            store.commit();
            assertArrayEquals(first, chunks.read(Digests.sha256(first)), "listed chunks stay");
            assertArrayEquals(later, chunks.read(Digests.sha256(later)), "later chunks stay");
        }
        body(dir, Digests.sha256(first)).overwrite(new Random(1), 3);
        try (DurableStore store = open(1)) {
            ChunkPacks chunks = (ChunkPacks) store.chunks();
            assertFalse(Arrays.equals(first, chunks.read(Digests.sha256(first))), "reads are not verified");
            store.persist(new Output.StateChunk(Digests.sha256(first), first));
            store.commit();
            assertArrayEquals(first, chunks.read(Digests.sha256(first)), "a damaged copy is replaced");
            assertThrows(AssertionError.class, () -> store.persist(new Output.StateChunk(Digests.sha256(later), first)),
                    "a chunk must come with its own digest");
        }
    }

    /**
     * The chunks of an older image the core still serves to a recovering peer stay through any
     * number of checkpoint writes, and go once it is no longer served.
     */
    @Test
    void theChunksOfAnOlderImageStillServedStayUntilItIsNoLongerServed() throws IOException {
        Fixture f = new Fixture();
        byte[] older = "a replaced part of an image a peer is fetching".getBytes(StandardCharsets.UTF_8);
        StateManifest served = new StateManifest(f.checkpoint.seq() - 4, List.of(Digests.sha256(older)), List.of(1));
        try (DurableStore store = open(1)) {
            ChunkPacks chunks = (ChunkPacks) store.chunks();
            store.persist(new Output.StateChunk(Digests.sha256(older), older));
            store.commit();
            f.writeHistory(store);
            for (int write = 0; write < 10; write++) {
                store.persist(new Output.StableCheckpoint(f.checkpoint, f.manifest, List.of(served)));
                store.commit();
                assertArrayEquals(older, chunks.read(Digests.sha256(older)), "served, kept at write " + write);
            }
            for (int write = 0; write < 3; write++) {
                store.persist(new Output.StableCheckpoint(f.checkpoint, f.manifest));
                store.commit();
            }
            assertNull(chunks.read(Digests.sha256(older)), "no longer served nor listed: collected");
        }
    }

    @Test
    void segmentsRotateAndACheckpointLetsTheOldOnesGo() throws IOException {
        Fixture f = new Fixture();
        try (DurableStore store = DurableStore.open(dir, owner(1), CODEC, FsyncPolicy.NONE, 2048)) {
            for (long seq = 1; seq <= 40; seq++) {
                store.persist(new Output.LogEntry(0, seq, f.batch(seq)));
                store.commit();
            }
            assertTrue(WriteAheadLog.segments(dir).size() > 3, "small segments rotate");
            f.manifestChunks.forEach(chunk -> persist(store, new Output.StateChunk(Digests.sha256(chunk), chunk)));
            store.persist(new Output.StableCheckpoint(f.checkpoint, f.manifest));
            store.commit();
            assertEquals(1, WriteAheadLog.segments(dir).size(), "one compacted segment after the checkpoint");
        }
        try (DurableStore store = DurableStore.open(dir, owner(1), CODEC, FsyncPolicy.NONE, 2048)) {
            Start.Resume resume = assertInstanceOf(Start.Resume.class, store.start(), store.startReason());
            assertEquals(40 - f.checkpoint.seq(), resume.accepted().size());
            assertTrue(resume.accepted().stream().allMatch(e -> e.seq() > f.checkpoint.seq()));
        }
    }

    private void writeHistory(Fixture f) throws IOException {
        try (DurableStore store = open(1)) {
            f.writeHistory(store);
        }
    }

    /** The next boot under {@code epoch} recovers, and says why ({@code reason} is part of it). */
    private void assertRecovers(long epoch, String reason) throws IOException {
        try (DurableStore store = open(epoch)) {
            assertInstanceOf(Start.Recover.class, store.start(), store.startReason());
            assertTrue(store.startReason().contains(reason), store.startReason());
        }
    }

    private static void assertNotNullChunk(DurableStore store, byte[] digest) {
        assertTrue(store.chunks().read(digest) != null, "the chunks of an untrusted disk stay as a cache");
    }

    private Path lastSegment() throws IOException {
        List<Path> segments = WriteAheadLog.segments(dir);
        return segments.get(segments.size() - 1);
    }

    private static void persist(DurableStore store, Output.Persist entry) {
        try {
            store.persist(entry);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void append(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** A small history: views, votes on seqs 1..11, a stable checkpoint at seq 8 with three chunks. */
    private static final class Fixture {
        final List<byte[]> manifestChunks = new ArrayList<>();
        final StateManifest manifest;
        final CheckpointCertificate checkpoint;

        Fixture() {
            this(8);
        }

        Fixture(long seq) {
            List<byte[]> digests = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                byte[] chunk = ("chunk " + i + " of the state at " + seq).getBytes(StandardCharsets.UTF_8);
                manifestChunks.add(chunk);
                digests.add(Digests.sha256(chunk));
            }
            manifest = new StateManifest(seq, digests, List.of(1, 2));
            byte[] root = manifest.root();
            checkpoint = new CheckpointCertificate(seq, root, List.of(new Checkpoint(0, 1, seq, root, new byte[64]),
                    new Checkpoint(1, 1, seq, root, new byte[64]), new Checkpoint(2, 1, seq, root, new byte[64])));
        }

        Batch batch(long seq) {
            return Batch.of(List.of(new Request(7, seq, ("put k" + seq).getBytes(StandardCharsets.UTF_8)),
                    new Request(8, seq, ByteBuffer.allocate(100).putLong(seq).array())));
        }

        void writeHistory(DurableStore store) throws IOException {
            store.persist(new Output.ViewEntry(1, false));
            for (long seq = 1; seq <= 9; seq++) {
                store.persist(new Output.LogEntry(1, seq, batch(seq)));
                store.persist(new Output.Prepared(1, seq, batch(seq).digest()));
                store.commit();
            }
            for (byte[] chunk : manifestChunks) {
                store.persist(new Output.StateChunk(Digests.sha256(chunk), chunk));
            }
            store.persist(new Output.StableCheckpoint(checkpoint, manifest));
            store.commit();
            store.persist(new Output.ViewEntry(2, true));
            store.persist(new Output.LogEntry(2, 10, batch(10)));
            store.persist(new Output.Prepared(2, 10, batch(10).digest()));
            store.commit();
            store.persist(new Output.LogEntry(2, 11, batch(11)));
            store.commit();
        }
    }
}
