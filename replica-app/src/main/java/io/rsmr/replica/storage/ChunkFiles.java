package io.rsmr.replica.storage;

import io.rsmr.common.crypto.Hex;
import io.rsmr.replica.protocol.ChunkStore;
import io.rsmr.replica.protocol.message.Digests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.channels.FileChannel;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Logger;

/**
 * The content-addressed chunk store: {@code chunks/<hex sha256>} holds the chunk's bytes, nothing
 * else (the name is the checksum). Reads return what the disk has, unverified: the core hashes
 * every chunk it reads, because after a rejuvenation an intruder may have written anything here.
 *
 * <p>A chunk is written to a temporary file at once and served from memory until the group commits;
 * {@link #sync()} then syncs all of the group's temporary files in parallel (the file system folds
 * concurrent syncs into few journal commits: 300 files of 20 kB took 1.47 ms each one by one and
 * 0.15 ms each 16 at a time on this machine's disk), renames them to their names and syncs the
 * directory once. A transfer or a checkpoint of many chunks thus costs about one sync, not one per chunk.
 */
public final class ChunkFiles implements ChunkStore {
    public static final String DIRECTORY = "chunks";
    private static final Logger LOG = Logger.getLogger(ChunkFiles.class.getName());
    /** Chunk files synced at once by {@link #sync()}. */
    private static final int SYNC_THREADS = 16;

    private final Path directory;
    private final FsyncPolicy policy;
    /** Names whose content this process wrote or hashed: writing them again is skipped without a read. */
    private final Set<String> intact = new HashSet<>();
    /** This group's chunks, by name: in temporary files until {@link #sync()}, read from here meanwhile. */
    private final Map<String, byte[]> pending = new LinkedHashMap<>();
    private final ExecutorService syncers = Executors.newFixedThreadPool(SYNC_THREADS, runnable -> {
        Thread thread = new Thread(runnable, "chunk-sync");
        thread.setDaemon(true);
        return thread;
    });
    private boolean directoryChanged;

    private ChunkFiles(Path directory, FsyncPolicy policy) {
        this.directory = directory;
        this.policy = policy;
    }

    /** Opens (creating if needed) the chunk directory of {@code dataDir}, dropping a crash's temporaries. */
    static ChunkFiles open(Path dataDir, FsyncPolicy policy) throws IOException {
        Path directory = dataDir.resolve(DIRECTORY);
        Files.createDirectories(directory);
        DiskFiles.deleteTemporaries(directory);
        return new ChunkFiles(directory, policy);
    }

    @Override
    public byte[] read(byte[] digest) {
        byte[] unsynced = pending.get(Hex.of(digest));
        if (unsynced != null) {
            return unsynced.clone();
        }
        try {
            return Files.readAllBytes(file(digest));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.warning("cannot read chunk " + file(digest) + ": " + e);
            return null;
        }
    }

    boolean contains(byte[] digest) {
        return pending.containsKey(Hex.of(digest)) || Files.isRegularFile(file(digest));
    }

    /** Keeps {@code bytes} under {@code digest}, their SHA-256; a no-op when an intact copy is there. */
    void write(byte[] digest, byte[] bytes) throws IOException {
        if (!Arrays.equals(digest, Digests.sha256(bytes))) {
            throw new IllegalArgumentException("chunk " + Hex.of(digest) + " is not the SHA-256 of its "
                    + bytes.length + " bytes");
        }
        String name = Hex.of(digest);
        if (intact.contains(name) || pending.containsKey(name) || holds(digest)) {
            intact.add(name);
            return;
        }
        try (FileChannel channel = FileChannel.open(temporary(name), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            DiskFiles.writeFully(channel, java.nio.ByteBuffer.wrap(bytes));
        }
        pending.put(name, bytes.clone());
    }

    private boolean holds(byte[] digest) {
        byte[] stored = read(digest);
        return stored != null && Arrays.equals(digest, Digests.sha256(stored));
    }

    /** Makes this group's new and deleted chunk files durable: sync each (in parallel), rename, sync the directory. */
    void sync() throws IOException {
        if (policy.syncs() && !pending.isEmpty()) {
            forceAll(pending.keySet());
        }
        for (String name : pending.keySet()) {
            Files.move(temporary(name), directory.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            intact.add(name);
            directoryChanged = true;
        }
        pending.clear();
        if (directoryChanged) {
            DiskFiles.syncDirectory(directory, policy);
            directoryChanged = false;
        }
    }

    private void forceAll(Set<String> names) throws IOException {
        List<Callable<Void>> syncs = new ArrayList<>();
        for (String name : names) {
            syncs.add(() -> {
                try (FileChannel channel = FileChannel.open(temporary(name), StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
                return null;
            });
        }
        try {
            for (Future<Void> done : syncers.invokeAll(syncs)) {
                done.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while syncing chunk files", e);
        } catch (ExecutionException e) {
            throw new IOException("syncing a chunk file in " + directory + " failed: " + e.getCause(), e.getCause());
        }
    }

    void close() {
        syncers.shutdownNow();
    }

    /** Deletes every chunk file whose name is not in {@code keep} (hex digests); returns how many. */
    int deleteAllBut(Set<String> keep) throws IOException {
        assert pending.isEmpty() : "collect only after a sync";
        int deleted = 0;
        try (var files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (!keep.contains(file.getFileName().toString())) {
                    Files.deleteIfExists(file);
                    deleted++;
                }
            }
        }
        intact.retainAll(keep);
        directoryChanged |= deleted > 0;
        return deleted;
    }

    private Path file(byte[] digest) {
        return directory.resolve(Hex.of(digest));
    }

    private Path temporary(String name) {
        return directory.resolve(name + DiskFiles.TEMPORARY_SUFFIX);
    }
}
