package io.rsmr.replica.storage;

import io.rsmr.common.crypto.Hex;
import io.rsmr.replica.protocol.ChunkStore;
import io.rsmr.replica.protocol.message.Digests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The content-addressed chunk store: append-only pack files {@code chunks/pack-N.pack}, each a
 * sequence of records {@code [magic u32, length u32, SHA-256 digest 32 bytes, length bytes]}, and an
 * index digest → (pack, offset, length) in memory, built at open from the record headers alone (no
 * hashing: one 40-byte read per chunk, ~8,200 for the KV store's 1 GB). One file per chunk (the layout before)
 * cost a create, a rename and later a sync per chunk, ~1 ms each for 100 kB chunks; a record costs a
 * write into the page cache, and a checkpoint syncs each pack that holds its new chunks once.
 *
 * <p>Reads return what the disk has, unverified: the core hashes every chunk it reads, because after
 * a rejuvenation an intruder may have written anything here. A header that is not a record (a write
 * torn by a crash, or garbage) ends the scan of its pack: the chunks beyond are simply missing and get
 * fetched again. The only reads this store verifies are of a digest found in several records (a
 * repaired chunk, or a compaction's copy whose original was not yet deleted at a crash): the first
 * record, newest first, whose bytes match is the one used.
 *
 * <p>Writes are not synced: until a stable checkpoint lists a chunk it is only a cache. {@link
 * #syncListed} makes the chunks of a new stable checkpoint durable before the checkpoint file names
 * them, one sync per pack that holds some of them unsynced, and the directory when a pack was created;
 * the current pack is also synced in the background every {@link #SYNC_AHEAD_BYTES_DEFAULT} appended.
 * {@link #deleteAllBut} drops chunks from the index; a pack whose live bytes fall below {@link
 * #LIVE_FRACTION_MIN} of its size is compacted (one per call): its live records are copied to the current pack,
 * which is synced, and only then is the old pack deleted (then the directory synced), so a crash at
 * any point leaves every listed chunk in some synced pack.
 *
 * <p>Not thread-safe: the replica's event loop is its only user (the background syncer only forces
 * a pack's channel and then records how far it got).
 */
public final class ChunkPacks implements ChunkStore {
    public static final String DIRECTORY = "chunks";
    /** A pack is closed and a new one begun past this size. */
    public static final long PACK_BYTES_MAX_DEFAULT = 64L << 20;
    /**
     * Appended bytes after which the current pack is synced from a background thread. All replicas of
     * a host may share one disk: a recovering replica that wrote 100 MB-1 GB and synced it only when its
     * checkpoint became stable would hold up every replica's log sync for that long; synced as it goes, the
     * writeback is spread over the transfer and the checkpoint's sync finds little left to do.
     */
    public static final long SYNC_AHEAD_BYTES_DEFAULT = 8L << 20;
    /** A pack other than the current one is compacted when its live bytes fall below this fraction of its size. */
    static final double LIVE_FRACTION_MIN = 0.5;
    static final int MAGIC = 0x43484b31; // "CHK1"
    static final int HEADER_BYTES = 4 + 4 + Digests.DIGEST_BYTES;
    private static final String PACK_PREFIX = "pack-";
    private static final String PACK_SUFFIX = ".pack";
    private static final Logger LOG = Logger.getLogger(ChunkPacks.class.getName());

    /** Where a record's bytes are; {@code verified}: this process wrote them or checked their hash. */
    private record Location(Pack pack, long bodyOffset, int length, boolean verified) {
        long recordBytes() {
            return HEADER_BYTES + (long) length;
        }

        long end() {
            return bodyOffset + length;
        }
    }

    /**
     * One pack file, open for reading (and appending, when it is the current one). A pack found at
     * open counts as unsynced: the process that wrote it may have crashed before its sync.
     */
    private static final class Pack {
        final long number;
        final Path path;
        final FileChannel channel;
        long bytes;
        /** Bytes up to which a sync was started (event loop only). */
        long syncStartedBytes;
        /** Bytes up to which a sync completed (written by the background syncer too). */
        final AtomicLong syncedBytes = new AtomicLong();
        long liveBytes;

        Pack(long number, Path path, FileChannel channel, long bytes) {
            this.number = number;
            this.path = path;
            this.channel = channel;
            this.bytes = bytes;
        }
    }

    private final Path directory;
    private final FsyncPolicy policy;
    private final long packBytesMax;
    private final long syncAheadBytes;
    private final ExecutorService syncer = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "chunk-pack-sync");
        thread.setDaemon(true);
        return thread;
    });
    private final TreeMap<Long, Pack> packs = new TreeMap<>();
    /** Digest → its records, oldest first (almost always one). */
    private final Map<ByteBuffer, List<Location>> index = new HashMap<>();
    private Pack current;
    private boolean directoryChanged;

    private ChunkPacks(Path directory, FsyncPolicy policy, long packBytesMax, long syncAheadBytes) {
        this.directory = directory;
        this.policy = policy;
        this.packBytesMax = packBytesMax;
        this.syncAheadBytes = syncAheadBytes;
    }

    /** Opens (creating if needed) the chunk directory of {@code dataDir} and indexes its packs. */
    static ChunkPacks open(Path dataDir, FsyncPolicy policy, long packBytesMax, long syncAheadBytes)
            throws IOException {
        if (packBytesMax < HEADER_BYTES || syncAheadBytes < 1) {
            throw new IllegalArgumentException("packBytesMax must be at least " + HEADER_BYTES + " and syncAheadBytes"
                    + " at least 1, got " + packBytesMax + " and " + syncAheadBytes);
        }
        ChunkPacks store = new ChunkPacks(dataDir.resolve(DIRECTORY), policy, packBytesMax, syncAheadBytes);
        Files.createDirectories(store.directory);
        for (Path path : packFiles(dataDir)) {
            store.load(path);
        }
        return store;
    }

    /** The pack files of {@code dataDir}, oldest first; other files in the directory are ignored. */
    private static List<Path> packFiles(Path dataDir) throws IOException {
        Path directory = dataDir.resolve(DIRECTORY);
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        TreeMap<Long, Path> numbered = new TreeMap<>();
        try (var files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                long number = packNumber(file);
                if (number >= 0) {
                    numbered.put(number, file);
                }
            }
        }
        return new ArrayList<>(numbered.values());
    }

    /** The N of {@code pack-N.pack}, or -1 for any other name. */
    private static long packNumber(Path file) {
        String name = file.getFileName().toString();
        if (!name.startsWith(PACK_PREFIX) || !name.endsWith(PACK_SUFFIX)) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(PACK_PREFIX.length(), name.length() - PACK_SUFFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void load(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Pack pack = new Pack(packNumber(path), path, channel, channel.size());
        packs.put(pack.number, pack);
        for (Body body : scan(path, channel)) {
            List<Location> locations = index.computeIfAbsent(ByteBuffer.wrap(body.digest()), d -> new ArrayList<>(1));
            locations.add(new Location(pack, body.offset(), body.length(), false));
            pack.liveBytes += HEADER_BYTES + (long) body.length();
        }
    }

    /**
     * A record's body in a pack file: its digest as the header claims it, where its bytes start and
     * how many there are. For tools and tests that damage a data directory on purpose.
     */
    public record Body(Path pack, long offset, int length, byte[] digest) {
        /** Overwrites up to {@code count} bytes at a random place of this body with random bytes. */
        public void overwrite(Random random, int count) throws IOException {
            byte[] garbage = new byte[Math.min(count, length)];
            random.nextBytes(garbage);
            long at = offset + random.nextInt(length - garbage.length + 1);
            try (FileChannel channel = FileChannel.open(pack, StandardOpenOption.WRITE)) {
                DiskFiles.writeFully(channel.position(at), ByteBuffer.wrap(garbage));
            }
        }
    }

    /** Every record body the packs of {@code dataDir} hold, in pack and file order, as {@link #open} finds them. */
    public static List<Body> bodies(Path dataDir) throws IOException {
        List<Body> bodies = new ArrayList<>();
        for (Path path : packFiles(dataDir)) {
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                bodies.addAll(scan(path, channel));
            }
        }
        return bodies;
    }

    /** The records of one pack up to its end or the first header that is not a record. */
    private static List<Body> scan(Path path, FileChannel channel) throws IOException {
        List<Body> bodies = new ArrayList<>();
        long size = channel.size();
        long offset = 0;
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        while (offset < size) {
            String problem = readHeader(channel, offset, size, header.clear());
            if (problem != null) {
                LOG.warning("pack " + path + ": " + problem + " at offset " + offset + " of " + size
                        + "; the chunks from there on are missing");
                break;
            }
            int length = header.getInt(4);
            byte[] digest = Arrays.copyOfRange(header.array(), 8, HEADER_BYTES);
            bodies.add(new Body(path, offset + HEADER_BYTES, length, digest));
            offset += HEADER_BYTES + (long) length;
        }
        return bodies;
    }

    /** Null when a whole record starts at {@code offset}, else what is wrong there. */
    private static String readHeader(FileChannel channel, long offset, long size, ByteBuffer header) throws IOException {
        if (size - offset < HEADER_BYTES) {
            return "a header cut short";
        }
        readFully(channel, header, offset);
        if (header.getInt(0) != MAGIC) {
            return "no record (bad magic)";
        }
        int length = header.getInt(4);
        if (length < 0 || length > size - offset - HEADER_BYTES) {
            return "a record of " + Integer.toUnsignedString(length) + " bytes that the file does not hold";
        }
        return null;
    }

    private static boolean readFully(FileChannel channel, ByteBuffer buffer, long offset) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, offset + buffer.position()) < 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public byte[] read(byte[] digest) {
        List<Location> locations = index.get(ByteBuffer.wrap(digest));
        if (locations == null) {
            return null;
        }
        if (locations.size() == 1) {
            return bytes(locations.get(0));
        }
        return verifiedOrLatest(digest, locations);
    }

    /** Of several records of one digest, the newest whose bytes match it, or the newest's bytes. */
    private byte[] verifiedOrLatest(byte[] digest, List<Location> locations) {
        for (int i = locations.size() - 1; i >= 0; i--) {
            byte[] bytes = bytes(locations.get(i));
            if (bytes != null && Arrays.equals(digest, Digests.sha256(bytes))) {
                keepOnly(ByteBuffer.wrap(digest), locations.get(i));
                return bytes;
            }
        }
        return bytes(locations.get(locations.size() - 1));
    }

    private byte[] bytes(Location location) {
        ByteBuffer buffer = ByteBuffer.allocate(location.length());
        try {
            return readFully(location.pack().channel, buffer, location.bodyOffset()) ? buffer.array() : null;
        } catch (IOException e) {
            LOG.warning("cannot read a chunk of " + location.length() + " bytes at " + location.bodyOffset() + " of "
                    + location.pack().path + ": " + e);
            return null;
        }
    }

    boolean contains(byte[] digest) {
        return index.containsKey(ByteBuffer.wrap(digest));
    }

    /** Keeps {@code bytes} under {@code digest}, their SHA-256; a no-op when an intact copy is there. */
    void write(byte[] digest, byte[] bytes) throws IOException {
        assert Arrays.equals(digest, Digests.sha256(bytes))
                : "chunk " + Hex.of(digest) + " is not the SHA-256 of its " + bytes.length + " bytes";
        ByteBuffer key = ByteBuffer.wrap(digest);
        List<Location> locations = index.get(key);
        if (locations != null && locations.get(0).verified()) {
            return;
        }
        if (locations != null && matches(digest, read(digest))) { // the read left only the matching record
            keepOnly(key, verified(index.get(key).get(0)));
            return;
        }
        keepOnly(key, append(digest, bytes));
    }

    private static boolean matches(byte[] digest, byte[] stored) {
        return stored != null && Arrays.equals(digest, Digests.sha256(stored));
    }

    private static Location verified(Location location) {
        return location.verified() ? location : new Location(location.pack(), location.bodyOffset(), location.length(),
                true);
    }

    /** Makes {@code location} the only record of {@code name}; the others' bytes are dead. */
    private void keepOnly(ByteBuffer key, Location location) {
        List<Location> old = index.put(key, new ArrayList<>(List.of(location)));
        if (old != null) {
            for (Location gone : old) {
                if (!(gone.pack() == location.pack() && gone.bodyOffset() == location.bodyOffset())) {
                    gone.pack().liveBytes -= gone.recordBytes();
                }
            }
        }
    }

    /** Appends a record to the current pack (begun or rotated as needed); its location, verified. */
    private Location append(byte[] digest, byte[] bytes) throws IOException {
        long recordBytes = HEADER_BYTES + (long) bytes.length;
        if (current == null || (current.bytes > 0 && current.bytes + recordBytes > packBytesMax)) {
            if (current != null) {
                syncInBackground(current);
            }
            current = create();
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(bytes.length).put(digest).flip();
        ByteBuffer[] record = {header, ByteBuffer.wrap(bytes)};
        current.channel.position(current.bytes);
        while (record[1].hasRemaining()) {
            current.channel.write(record);
        }
        Location location = new Location(current, current.bytes + HEADER_BYTES, bytes.length, true);
        current.bytes += recordBytes;
        current.liveBytes += recordBytes;
        if (current.bytes - current.syncStartedBytes >= syncAheadBytes) {
            syncInBackground(current);
        }
        return location;
    }

    /** Starts syncing what {@code pack} holds now on the background thread; a pack closed meanwhile is skipped. */
    private void syncInBackground(Pack pack) {
        long upTo = pack.bytes;
        if (!policy.syncs() || upTo <= pack.syncStartedBytes) {
            return;
        }
        pack.syncStartedBytes = upTo;
        syncer.execute(() -> {
            try {
                pack.channel.force(false);
                pack.syncedBytes.accumulateAndGet(upTo, Math::max);
            } catch (ClosedChannelException e) {
                // compacted away or the store closed: nothing left to make durable
            } catch (IOException e) {
                LOG.warning("background sync of " + pack.path + " failed (the checkpoint's sync will retry): " + e);
            }
        });
    }

    private Pack create() throws IOException {
        long number = packs.isEmpty() ? 1 : packs.lastKey() + 1;
        Path path = directory.resolve(PACK_PREFIX + number + PACK_SUFFIX);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        Pack pack = new Pack(number, path, channel, 0);
        packs.put(number, pack);
        directoryChanged = true;
        return pack;
    }

    /** Makes the listed chunks durable: one sync per pack that holds some of them unsynced, then the directory. */
    void syncListed(List<byte[]> digests) throws IOException {
        Set<Pack> unsynced = new HashSet<>();
        for (byte[] digest : digests) {
            List<Location> locations = index.get(ByteBuffer.wrap(digest));
            if (locations != null) {
                for (Location location : locations) {
                    if (location.end() > location.pack().syncedBytes.get()) {
                        unsynced.add(location.pack());
                    }
                }
            }
        }
        for (Pack pack : unsynced) {
            sync(pack);
        }
        syncDirectory();
    }

    private void sync(Pack pack) throws IOException {
        long upTo = pack.bytes;
        pack.syncStartedBytes = Math.max(pack.syncStartedBytes, upTo);
        if (policy.syncs()) {
            pack.channel.force(false);
        }
        pack.syncedBytes.accumulateAndGet(upTo, Math::max);
    }

    /** Makes created and deleted packs durable. */
    private void syncDirectory() throws IOException {
        if (directoryChanged) {
            DiskFiles.syncDirectory(directory, policy);
            directoryChanged = false;
        }
    }

    /**
     * Forgets every chunk whose digest (wrapped) is not in {@code keep}, then compacts the packs that
     * are mostly dead; returns how many chunks were forgotten.
     */
    int deleteAllBut(Set<ByteBuffer> keep) throws IOException {
        List<ByteBuffer> gone = index.keySet().stream().filter(key -> !keep.contains(key)).toList();
        for (ByteBuffer key : gone) {
            for (Location location : index.remove(key)) {
                location.pack().liveBytes -= location.recordBytes();
            }
        }
        compact();
        return gone.size();
    }

    /**
     * Deletes the packs with no live record, and copies the live records of the most dead of the
     * others below {@link #LIVE_FRACTION_MIN} to the current pack, syncs it, then deletes that pack
     * too; then syncs the directory. One pack copied per call bounds the pause it adds to a
     * checkpoint (half a pack at most).
     */
    private void compact() throws IOException {
        List<Pack> victims = new ArrayList<>(packs.values().stream()
                .filter(pack -> pack != current && pack.liveBytes == 0).toList());
        packs.values().stream().filter(pack -> pack != current && pack.liveBytes > 0 && sparse(pack))
                .min(Comparator.comparingDouble(pack -> (double) pack.liveBytes / pack.bytes))
                .ifPresent(victims::add);
        if (victims.isEmpty()) {
            return;
        }
        List<ByteBuffer> moving = index.entrySet().stream()
                .filter(entry -> entry.getValue().stream().anyMatch(location -> victims.contains(location.pack())))
                .map(Map.Entry::getKey).toList();
        for (ByteBuffer key : moving) {
            copy(key);
        }
        for (Pack pack : packs.values()) {
            if (!victims.contains(pack) && pack.syncedBytes.get() < pack.bytes) {
                sync(pack);
            }
        }
        for (Pack pack : victims) {
            assert pack.liveBytes == 0 : pack.path + " still holds " + pack.liveBytes + " live bytes";
            pack.channel.close();
            Files.delete(pack.path);
            packs.remove(pack.number);
            directoryChanged = true;
        }
        syncDirectory();
    }

    private boolean sparse(Pack pack) {
        return pack.liveBytes == 0 || pack.liveBytes < LIVE_FRACTION_MIN * pack.bytes;
    }

    /**
     * Copies one chunk's record to the current pack: the copy becomes its only record. One that
     * cannot be read (the file was cut short since the scan) is forgotten: it is lost either way,
     * and the core fetches what it misses.
     */
    private void copy(ByteBuffer key) throws IOException {
        byte[] digest = key.array();
        byte[] bytes = read(digest);
        if (bytes == null) {
            LOG.warning("chunk " + Hex.of(digest) + " cannot be read to move it out of a mostly dead pack; forgotten");
            for (Location location : index.remove(key)) {
                location.pack().liveBytes -= location.recordBytes();
            }
            return;
        }
        boolean verified = index.get(key).get(0).verified();
        Location to = append(digest, bytes);
        keepOnly(key, new Location(to.pack(), to.bodyOffset(), to.length(), verified));
    }

    void close() throws IOException {
        syncer.shutdownNow();
        for (Pack pack : packs.values()) {
            pack.channel.close();
        }
    }
}
