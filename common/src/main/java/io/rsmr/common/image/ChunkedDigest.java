package io.rsmr.common.image;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * SHA-256 of a file chunk by chunk, on all cores. One SHA-256 stream runs on one core (≈ 1.8 GB per
 * CPU-second here), slower than a cold sequential read of a fast disk; the SHA-256 of each fixed-size
 * chunk can be computed on any core. One reader thread reads the file sequentially (what the
 * kernel's read-ahead likes best) in blocks of {@link #blockBytes()}, and each chunk goes to one of
 * {@link #hashers()} threads that feeds the chunk's blocks to its SHA-256 as they arrive; so a check
 * runs at min(read, cores × hash), and after the last read only one block is left to hash.
 *
 * <p>One object serves many checks (the agent's kernel, initramfs and root image, rejuvenation
 * after rejuvenation): its threads and buffers are made once, not per file, because on a small
 * file (the 40 MB root image) starting threads and zeroing buffers cost as much as the hashing.
 * Idle threads end after {@link #IDLE_THREAD_SECONDS}; {@link #close()} ends them at once. Checks
 * on one object run one at a time.
 *
 * <p>Memory is bounded: {@code hashers × BLOCKS_PER_HASHER + SPARE_BLOCKS} heap blocks and one
 * direct block for the reader, whatever the chunk size (the signed manifest says which,
 * {@link #DEFAULT_CHUNK_BYTES} from vm-images/build.sh).
 *
 * <p>A file's chunk list is summed up by its {@link Chunks#root() root}: the SHA-256 of a text that
 * binds the format, the chunk size, the file size and every chunk digest in order.
 */
public final class ChunkedDigest implements AutoCloseable {
    /** The first line of the text a chunk root is the SHA-256 of. */
    public static final String ROOT_FORMAT = "rsmr-chunked-sha256 1";
    /**
     * 4 MiB: the read size at which a cold sequential read of this disk is fastest (bench), and the
     * root image (≈ 40 MB) still splits into ≈ 10 chunks for 2 cores; see bench/agent-rejuvenation.md.
     */
    public static final int DEFAULT_CHUNK_BYTES = 4 << 20;
    /** Smaller chunks only add per-chunk hand-overs and manifest lines. */
    public static final int CHUNK_BYTES_MIN = 64 << 10;
    /** Bigger chunks leave a golden file too few chunks to share between the cores. */
    public static final int CHUNK_BYTES_MAX = 64 << 20;
    /**
     * The read size: small enough that hashing follows the read closely (the hashers start after
     * one block, and one block is left to hash after the last read), big enough that a hand-over
     * costs little beside it. See bench/agent-rejuvenation.md.
     */
    public static final int DEFAULT_BLOCK_BYTES = 1 << 20;
    public static final int BLOCK_BYTES_MIN = 4 << 10;
    public static final int BLOCK_BYTES_MAX = 16 << 20;
    /** More hashing threads than this would wait on the single reader anyway. */
    public static final int HASHERS_MAX = 4;
    /** Blocks per hasher: a chunk's worth at the default sizes, so each hasher can hold one chunk's blocks. */
    public static final int BLOCKS_PER_HASHER = 4;
    /** Blocks beyond those: one being read, one waiting, so the reader does not wait on a hand-over. */
    public static final int SPARE_BLOCKS = 2;
    /** Threads idle this long end: they serve the checks of one rejuvenation, not the hours between. */
    public static final int IDLE_THREAD_SECONDS = 30;

    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final int hashers;
    private final int blockBytes;
    private final ThreadPoolExecutor pool;
    /** Every heap block, to refill {@link #free} after a check however it ended. */
    private final List<byte[]> blocks = new ArrayList<>();
    private final BlockingQueue<byte[]> free;
    private ByteBuffer readBuffer;
    private boolean closed;

    /** {@link #hashers()} threads, blocks of {@link #DEFAULT_BLOCK_BYTES}. */
    public ChunkedDigest() {
        this(hashers(), DEFAULT_BLOCK_BYTES);
    }

    /** @param hashers 1 is the single-core pipeline, for comparison */
    public ChunkedDigest(int hashers, int blockBytes) {
        if (hashers < 1 || hashers > HASHERS_MAX) {
            throw new IllegalArgumentException(hashers + " hashing threads, expected 1 to " + HASHERS_MAX);
        }
        if (blockBytes < BLOCK_BYTES_MIN || blockBytes > BLOCK_BYTES_MAX) {
            throw new IllegalArgumentException("block size " + blockBytes + " is outside [" + BLOCK_BYTES_MIN + ", "
                    + BLOCK_BYTES_MAX + "]");
        }
        this.hashers = hashers;
        this.blockBytes = blockBytes;
        this.free = new ArrayBlockingQueue<>(blockCount());
        // The reader and the hashers but the caller's own thread, which hashes too.
        this.pool = new ThreadPoolExecutor(hashers, hashers, IDLE_THREAD_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(hashers), daemonThreads("sha256-" + INSTANCES.incrementAndGet()));
        pool.allowCoreThreadTimeOut(true);
    }

    /**
     * The chunk digests of a file of {@code bytes} bytes cut into chunks of {@code chunkBytes}
     * (the last one may be shorter; an empty file has none).
     */
    public record Chunks(int chunkBytes, long bytes, List<byte[]> digests) {
        public Chunks {
            requireChunkBytes(chunkBytes);
            if (bytes < 0 || digests.size() != count(bytes, chunkBytes)) {
                throw new IllegalArgumentException(digests.size() + " chunk digests for " + bytes + " bytes in chunks of "
                        + chunkBytes + " (expected " + count(bytes, chunkBytes) + ")");
            }
            digests = digests.stream().map(byte[]::clone).toList();
        }

        @Override
        public List<byte[]> digests() {
            return digests.stream().map(byte[]::clone).toList();
        }

        public static long count(long bytes, int chunkBytes) {
            return (bytes + chunkBytes - 1) / chunkBytes;
        }

        /** SHA-256 of: the format line, "chunkBytes=N", "bytes=N", then each chunk digest in hex, one per line. */
        public byte[] root() {
            StringBuilder text = new StringBuilder(ROOT_FORMAT).append("\nchunkBytes=").append(chunkBytes)
                    .append("\nbytes=").append(bytes).append('\n');
            for (byte[] d : digests) {
                text.append(HexFormat.of().formatHex(d)).append('\n');
            }
            return newDigest().digest(text.toString().getBytes(StandardCharsets.US_ASCII));
        }
    }

    /**
     * The first chunk found that differs from the manifest. {@code expected} is null for a chunk
     * past the manifest's end (the file grew), {@code actual} for a chunk the file no longer has.
     */
    public record Mismatch(long chunk, long offset, byte[] expected, byte[] actual) {
        public String describe() {
            if (expected == null) {
                return "chunk " + chunk + " at offset " + offset + " is past the end the manifest gives";
            }
            if (actual == null) {
                return "chunk " + chunk + " at offset " + offset + " is missing: the file ends before it";
            }
            return "chunk " + chunk + " at offset " + offset + ": sha256 " + HexFormat.of().formatHex(actual)
                    + ", the manifest says " + HexFormat.of().formatHex(expected);
        }
    }

    /** How many threads hash: one per core, at most {@link #HASHERS_MAX}. */
    public static int hashers() {
        return Math.max(1, Math.min(HASHERS_MAX, Runtime.getRuntime().availableProcessors()));
    }

    public int blockBytes() {
        return blockBytes;
    }

    /** The heap blocks this object holds (and one direct block more for the reader). */
    public int blockCount() {
        return hashers * BLOCKS_PER_HASHER + SPARE_BLOCKS;
    }

    /** Blocks not held by a check: all of them between checks (for tests). */
    synchronized int freeBlocks() {
        return free.size();
    }

    /** Hashes every chunk of {@code file}, once, on a new object. */
    public static Chunks compute(Path file, int chunkBytes) throws IOException, InterruptedException {
        try (ChunkedDigest d = new ChunkedDigest()) {
            return d.chunks(file, chunkBytes);
        }
    }

    /** Checks {@code file} once, on a new object: see {@link #check(Path, Chunks)}. */
    public static Optional<Mismatch> verify(Path file, Chunks expected) throws IOException, InterruptedException {
        try (ChunkedDigest d = new ChunkedDigest()) {
            return d.check(file, expected);
        }
    }

    /** Hashes every chunk of {@code file}. */
    public Chunks chunks(Path file, int chunkBytes) throws IOException, InterruptedException {
        requireChunkBytes(chunkBytes);
        ConcurrentHashMap<Long, byte[]> found = new ConcurrentHashMap<>();
        Run run = execute(file, chunkBytes, (index, digest) -> {
            found.put(index, digest);
            return null;
        });
        List<byte[]> digests = new ArrayList<>(found.size());
        for (long i = 0; i < found.size(); i++) {
            digests.add(found.get(i));
        }
        return new Chunks(chunkBytes, run.bytesRead, digests);
    }

    /**
     * Checks {@code file} against {@code expected}, stopping at the first chunk that differs (a
     * changed, missing or extra chunk). Empty when every chunk matches.
     */
    public Optional<Mismatch> check(Path file, Chunks expected) throws IOException, InterruptedException {
        List<byte[]> want = expected.digests();
        Run run = execute(file, expected.chunkBytes(), (index, digest) -> {
            byte[] w = index < want.size() ? want.get((int) index) : null;
            return w != null && MessageDigest.isEqual(w, digest) ? null
                    : new Mismatch(index, index * expected.chunkBytes(), w, digest);
        });
        Optional<Mismatch> bad = Optional.ofNullable(run.mismatch.get());
        if (bad.isPresent() || run.chunksRead == want.size()) {
            return bad;
        }
        long missing = run.chunksRead;
        return Optional.of(new Mismatch(missing, missing * expected.chunkBytes(), want.get((int) missing), null));
    }

    /** Ends the threads now; the object cannot check again. */
    @Override
    public synchronized void close() {
        closed = true;
        pool.shutdownNow();
        blocks.clear();
        free.clear();
        readBuffer = null;
    }

    private static void requireChunkBytes(int chunkBytes) {
        if (chunkBytes < CHUNK_BYTES_MIN || chunkBytes > CHUNK_BYTES_MAX) {
            throw new IllegalArgumentException("chunk size " + chunkBytes + " is outside [" + CHUNK_BYTES_MIN + ", "
                    + CHUNK_BYTES_MAX + "]");
        }
    }

    /** What a hasher does with a chunk's digest: null to go on, a mismatch to stop the run. */
    private interface OnDigest {
        Mismatch accept(long index, byte[] digest);
    }

    /**
     * Reads and hashes the whole file, or up to the first mismatch. The caller's thread is one of
     * the hashers; a file of fewer chunks than hashers gets fewer. Whatever happens, every task has
     * ended and every block is free again when this returns.
     */
    private synchronized Run execute(Path file, int chunkBytes, OnDigest onDigest) throws IOException, InterruptedException {
        if (closed) {
            throw new IllegalStateException("this ChunkedDigest is closed");
        }
        allocateOnce();
        try (FileChannel channel = FileChannel.open(file)) {
            int helpers = (int) Math.min(hashers - 1, Math.max(0, Chunks.count(channel.size(), chunkBytes) - 1));
            Run run = new Run(file, channel, chunkBytes, onDigest, blockCount());
            CountDownLatch ended = new CountDownLatch(1 + helpers);
            List<Runnable> tasks = new ArrayList<>();
            tasks.add(() -> run.task(run::readAll, ended));
            for (int i = 0; i < helpers; i++) {
                tasks.add(() -> run.task(run::hashAll, ended));
            }
            try {
                startAll(tasks, ended);
                run.hashAll();
            } catch (InterruptedException | RuntimeException | Error e) {
                // The caller stops taking blocks: stop the others too, or the reader waits on a free block for ever.
                run.cancel(e);
                throw e;
            } finally {
                awaitUninterruptibly(ended);
                refillFree();
            }
            run.rethrow();
            return run;
        }
    }

    /** Tasks the pool refuses are counted as ended, or the run would wait for them. */
    private void startAll(List<Runnable> tasks, CountDownLatch ended) {
        for (int i = 0; i < tasks.size(); i++) {
            try {
                pool.execute(tasks.get(i));
            } catch (RejectedExecutionException e) {
                for (int notStarted = i; notStarted < tasks.size(); notStarted++) {
                    ended.countDown();
                }
                throw e;
            }
        }
    }

    private void allocateOnce() {
        if (readBuffer == null) {
            readBuffer = ByteBuffer.allocateDirect(blockBytes);
            for (int i = 0; i < blockCount(); i++) {
                blocks.add(new byte[blockBytes]);
            }
            refillFree();
        }
    }

    /** A block held by a task that was cancelled is not lost. */
    private void refillFree() {
        free.clear();
        free.addAll(blocks);
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return work -> {
            Thread t = new Thread(work, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Read bytes of a chunk; {@code last} ends the chunk. */
    private record Block(byte[] data, int length, boolean last) {
    }

    /** The chunk the reader gave up on (a failure or a mismatch elsewhere): its hasher drops it. */
    private static final Block ABORT = new Block(new byte[0], 0, true);
    /** The file ended exactly at a block boundary inside a chunk. */
    private static final Block END_OF_CHUNK = new Block(new byte[0], 0, true);

    /** One chunk's blocks in order, from the reader to the hasher that took the chunk. */
    private record Feed(long index, BlockingQueue<Block> blocks) {
    }

    private static final Feed END = new Feed(-1, new ArrayBlockingQueue<>(1));

    private enum ChunkRead { FULL, END, STOPPED }

    private interface Work {
        void run() throws InterruptedException;
    }

    /** One pass over a file: the reader, the hashers, and the first mismatch that stops them. */
    private final class Run {
        private final Path file;
        private final FileChannel channel;
        private final int chunkBytes;
        private final OnDigest onDigest;
        private final int feedCapacity;
        /** Chunks whose first block was read: at most one per block, and the end mark. */
        private final BlockingQueue<Feed> feeds;
        private final AtomicReference<Mismatch> mismatch = new AtomicReference<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** The pool threads working on this run, to interrupt on a cancel. */
        private final List<Thread> workers = new ArrayList<>();
        private boolean cancelled;
        private long bytesRead;
        private long chunksRead;

        Run(Path file, FileChannel channel, int chunkBytes, OnDigest onDigest, int blocks) {
            this.file = file;
            this.channel = channel;
            this.chunkBytes = chunkBytes;
            this.onDigest = onDigest;
            this.feedCapacity = blocks + 1;
            this.feeds = new ArrayBlockingQueue<>(blocks + 1);
        }

        private boolean stopped() {
            return mismatch.get() != null || failure.get() != null;
        }

        /**
         * A pool task. It always counts {@code ended} down, even when the run was cancelled before
         * it started; a crash (a bug) cancels the others, so no thread waits for ever on it.
         */
        void task(Work work, CountDownLatch ended) {
            try {
                if (enter()) {
                    try {
                        work.run();
                    } finally {
                        leave();
                    }
                }
            } catch (InterruptedException e) {
                failure.compareAndSet(null, new InterruptedIOException("hashing " + file + " was cancelled"));
            } catch (RuntimeException | Error e) {
                cancel(e);
            } finally {
                ended.countDown();
            }
        }

        private synchronized boolean enter() {
            if (!cancelled) {
                workers.add(Thread.currentThread());
            }
            return !cancelled;
        }

        private synchronized void leave() {
            workers.remove(Thread.currentThread());
            Thread.interrupted(); // a cancel's interrupt is for this run only, not the pool thread's next task
        }

        /** Stops every task of this run: they give up their blocks, and the hashers get the end mark. */
        synchronized void cancel(Throwable cause) {
            failure.compareAndSet(null, cause);
            cancelled = true;
            workers.forEach(Thread::interrupt);
            feeds.offer(END);
        }

        void rethrow() throws IOException {
            Throwable t = failure.get();
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            assert t == null : t;
        }

        /** Reads the file block by block, each chunk's blocks to its feed; gives up on a mismatch or failure. */
        void readAll() throws InterruptedException {
            Feed current = null;
            try {
                for (ChunkRead r = ChunkRead.FULL; r == ChunkRead.FULL; ) {
                    current = new Feed(chunksRead, new ArrayBlockingQueue<>(feedCapacity));
                    r = readChunk(current);
                    if (r != ChunkRead.STOPPED) {
                        current = null;
                    }
                }
            } catch (IOException e) {
                failure.compareAndSet(null, e);
            } finally {
                if (current != null) {
                    current.blocks().offer(ABORT);
                }
                feeds.offer(END);
            }
        }

        /** Reads one chunk. The feed is handed out with its first block, and ends with the chunk's last block. */
        private ChunkRead readChunk(Feed feed) throws IOException, InterruptedException {
            for (long inChunk = 0; inChunk < chunkBytes; ) {
                if (stopped()) {
                    return ChunkRead.STOPPED;
                }
                int want = (int) Math.min(blockBytes, chunkBytes - inChunk);
                byte[] block = free.take();
                int n = fill(block, want);
                if (n == 0) {
                    free.put(block);
                    if (inChunk > 0) {
                        feed.blocks().put(END_OF_CHUNK);
                    }
                    return ChunkRead.END;
                }
                if (inChunk == 0) {
                    chunksRead++;
                    feeds.put(feed);
                }
                inChunk += n;
                bytesRead += n;
                feed.blocks().put(new Block(block, n, n < want || inChunk == chunkBytes));
                if (n < want) {
                    return ChunkRead.END;
                }
            }
            return ChunkRead.FULL;
        }

        /** Fills {@code block} up to {@code want} bytes through the reader's direct buffer (no JDK temporary); fewer only at the end. */
        private int fill(byte[] block, int want) throws IOException {
            ByteBuffer b = readBuffer.clear().limit(want);
            while (b.hasRemaining() && channel.read(b) >= 0) {
                // keep filling: a short read is not the end
            }
            b.flip();
            int n = b.remaining();
            b.get(block, 0, n);
            return n;
        }

        /** Takes chunks until the end mark, which it puts back for the other hashers. After a stop it only recycles blocks. */
        void hashAll() throws InterruptedException {
            MessageDigest digest = newDigest();
            for (Feed f = feeds.take(); f != END; f = feeds.take()) {
                boolean whole = true;
                for (Block b = f.blocks().take(); ; b = f.blocks().take()) {
                    if (b == ABORT) {
                        whole = false;
                        break;
                    }
                    if (!stopped()) {
                        digest.update(b.data(), 0, b.length());
                    }
                    if (b.data().length > 0) {
                        free.put(b.data());
                    }
                    if (b.last()) {
                        break;
                    }
                }
                byte[] d = digest.digest();
                if (whole && !stopped()) {
                    Mismatch m = onDigest.accept(f.index(), d);
                    if (m != null) {
                        mismatch.compareAndSet(null, m);
                    }
                }
            }
            feeds.put(END);
        }
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
