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
import java.util.concurrent.atomic.AtomicReference;

/**
 * SHA-256 of a file chunk by chunk, on all cores. One SHA-256 stream runs on one core (≈ 1.8 GB per
 * CPU-second here), slower than a cold sequential read of a fast disk; the SHA-256 of each fixed-size
 * chunk can be computed on any core. One reader thread reads the file sequentially (what the
 * kernel's read-ahead likes best), one whole chunk per buffer, and hands the buffers to
 * {@link #hashers()} threads that hash them in any order; so a check runs at min(read, cores × hash).
 *
 * <p>Memory is bounded: {@code hashers + SPARE_BUFFERS} buffers of one chunk each. A chunk that
 * fits in one buffer is why the hashers need no ordering between them, and why the chunk size is
 * small (the signed manifest says which, {@link #DEFAULT_CHUNK_BYTES} from vm-images/build.sh).
 *
 * <p>A file's chunk list is summed up by its {@link Chunks#root() root}: the SHA-256 of a text that
 * binds the format, the chunk size, the file size and every chunk digest in order.
 */
public final class ChunkedDigest {
    /** The first line of the text a chunk root is the SHA-256 of. */
    public static final String ROOT_FORMAT = "rsmr-chunked-sha256 1";
    /**
     * 4 MiB: the read size at which a cold sequential read of this disk is fastest (bench), and the
     * root image (≈ 40 MB) still splits into ≈ 10 chunks for 2 cores; see bench/agent-rejuvenation.md.
     */
    public static final int DEFAULT_CHUNK_BYTES = 4 << 20;
    /** Smaller chunks only add per-chunk hand-overs and manifest lines. */
    public static final int CHUNK_BYTES_MIN = 64 << 10;
    /** Each buffer holds a whole chunk: this bounds the memory to (hashers + spare) × 64 MiB. */
    public static final int CHUNK_BYTES_MAX = 64 << 20;
    /** More hashing threads than this would wait on the single reader anyway. */
    public static final int HASHERS_MAX = 4;
    /** Buffers beyond one per hasher: one being read, one waiting, so no side waits on a hand-over. */
    public static final int SPARE_BUFFERS = 2;

    private static final Chunk END = new Chunk(-1, ByteBuffer.allocate(0));

    private ChunkedDigest() {
    }

    /**
     * The chunk digests of a file of {@code bytes} bytes cut into chunks of {@code chunkBytes}
     * (the last one may be shorter; an empty file has none).
     */
    public record Chunks(int chunkBytes, long bytes, List<byte[]> digests) {
        public Chunks {
            if (chunkBytes < CHUNK_BYTES_MIN || chunkBytes > CHUNK_BYTES_MAX) {
                throw new IllegalArgumentException("chunk size " + chunkBytes + " is outside [" + CHUNK_BYTES_MIN + ", "
                        + CHUNK_BYTES_MAX + "]");
            }
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

    /** Hashes every chunk of {@code file}. */
    public static Chunks compute(Path file, int chunkBytes) throws IOException, InterruptedException {
        return compute(file, chunkBytes, hashers());
    }

    /** As {@link #compute(Path, int)} on {@code hashers} threads (1: the single-core pipeline, for comparison). */
    public static Chunks compute(Path file, int chunkBytes, int hashers) throws IOException, InterruptedException {
        ConcurrentHashMap<Long, byte[]> found = new ConcurrentHashMap<>();
        Run run = new Run(file, chunkBytes, hashers, (index, digest) -> {
            found.put(index, digest);
            return null;
        });
        run.execute();
        List<byte[]> digests = new ArrayList<>(found.size());
        for (long i = 0; i < found.size(); i++) {
            digests.add(found.get(i));
        }
        return new Chunks(chunkBytes, run.bytesRead(), digests);
    }

    /**
     * Checks {@code file} against {@code expected}, stopping at the first chunk that differs (a
     * changed, missing or extra chunk). Empty when every chunk matches.
     */
    public static Optional<Mismatch> verify(Path file, Chunks expected) throws IOException, InterruptedException {
        List<byte[]> want = expected.digests();
        Run run = new Run(file, expected.chunkBytes(), hashers(), (index, digest) -> {
            byte[] w = index < want.size() ? want.get((int) index) : null;
            return w != null && MessageDigest.isEqual(w, digest) ? null
                    : new Mismatch(index, index * expected.chunkBytes(), w, digest);
        });
        Optional<Mismatch> bad = run.execute();
        if (bad.isPresent() || run.chunksRead() == want.size()) {
            return bad;
        }
        long missing = run.chunksRead();
        return Optional.of(new Mismatch(missing, missing * expected.chunkBytes(), want.get((int) missing), null));
    }

    /** What a hasher does with a chunk's digest: null to go on, a mismatch to stop the run. */
    private interface OnDigest {
        Mismatch accept(long index, byte[] digest);
    }

    private record Chunk(long index, ByteBuffer data) {
    }

    /** One pass over a file: the reader, the hashers, and the first mismatch that stops them. */
    private static final class Run {
        private final Path file;
        private final int chunkBytes;
        private final int hashers;
        private final OnDigest onDigest;
        private final BlockingQueue<ByteBuffer> free;
        private final BlockingQueue<Chunk> full;
        private final AtomicReference<Mismatch> mismatch = new AtomicReference<>();
        private volatile IOException readFailure;
        private long bytesRead;
        private long chunksRead;

        Run(Path file, int chunkBytes, int hashers, OnDigest onDigest) {
            if (hashers < 1 || hashers > HASHERS_MAX) {
                throw new IllegalArgumentException(hashers + " hashing threads, expected 1 to " + HASHERS_MAX);
            }
            if (chunkBytes < CHUNK_BYTES_MIN || chunkBytes > CHUNK_BYTES_MAX) {
                throw new IllegalArgumentException("chunk size " + chunkBytes + " is outside [" + CHUNK_BYTES_MIN + ", "
                        + CHUNK_BYTES_MAX + "]");
            }
            this.file = file;
            this.chunkBytes = chunkBytes;
            this.hashers = hashers;
            this.onDigest = onDigest;
            int buffers = hashers + SPARE_BUFFERS;
            this.free = new ArrayBlockingQueue<>(buffers);
            this.full = new ArrayBlockingQueue<>(buffers + 1); // every buffer and the end mark
        }

        /** Reads and hashes the whole file, or up to the first mismatch; the caller's thread is one of the hashers. */
        Optional<Mismatch> execute() throws IOException, InterruptedException {
            for (int i = 0; i < hashers + SPARE_BUFFERS; i++) {
                free.add(ByteBuffer.allocate(chunkBytes));
            }
            List<Thread> threads = new ArrayList<>();
            try (FileChannel channel = FileChannel.open(file)) {
                threads.add(start("sha256-reader", () -> readAll(channel)));
                for (int i = 1; i < hashers; i++) {
                    threads.add(start("sha256-hasher-" + i, this::hashAll));
                }
                hashAll();
                for (Thread t : threads) {
                    t.join();
                }
            } finally {
                threads.forEach(Thread::interrupt);
            }
            if (readFailure != null) {
                throw readFailure;
            }
            return Optional.ofNullable(mismatch.get());
        }

        long bytesRead() {
            return bytesRead;
        }

        long chunksRead() {
            return chunksRead;
        }

        private Thread start(String name, Runnable work) {
            Thread t = new Thread(work, name + " " + file.getFileName());
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** Takes chunks until the end mark, which it puts back for the other hashers. After a mismatch it only recycles buffers. */
        private void hashAll() {
            MessageDigest digest = newDigest();
            try {
                for (Chunk c = full.take(); c != END; c = full.take()) {
                    if (mismatch.get() == null) {
                        digest.update(c.data().array(), 0, c.data().limit());
                        Mismatch m = onDigest.accept(c.index(), digest.digest());
                        if (m != null) {
                            mismatch.compareAndSet(null, m);
                        }
                    }
                    free.put(c.data());
                }
                full.put(END);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void readAll(FileChannel channel) {
            try {
                while (mismatch.get() == null) {
                    ByteBuffer b = free.take().clear();
                    while (b.hasRemaining() && channel.read(b) >= 0) {
                        // keep filling: a buffer holds one whole chunk
                    }
                    b.flip();
                    if (b.limit() == 0) {
                        return;
                    }
                    bytesRead += b.limit();
                    full.put(new Chunk(chunksRead++, b));
                }
            } catch (IOException e) {
                readFailure = e;
            } catch (InterruptedException e) {
                readFailure = new InterruptedIOException("hashing " + file + " was cancelled");
            } finally {
                full.offer(END);
            }
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
