package io.rsmr.agent.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.common.image.ChunkedDigest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * SHA-256 check speeds beside a raw sequential read of the same file, for the rejuvenation bench
 * and the digest bench: rounds interleaved, best of them (the machine is shared, and noise only
 * ever slows a round down), cold = sync + drop_caches before each (root only).
 */
final class DigestSpeeds {
    private DigestSpeeds() {
    }

    /**
     * Bytes per second, best rounds, of one file: the raw read, the agent's check (one object reused
     * across the checks, as the agent keeps one), the same check on a new object each time (its threads
     * and buffers made per check), and one SHA-256 stream (one hashing thread). cpu is bytes per
     * CPU-second of the whole process during the agent's check (reader and hashers), which the other
     * load on the machine hardly moves.
     */
    record Speeds(long bytes, double read, double chunked, double fresh, double single, double cpu) {
    }

    interface Check {
        void run() throws Exception;
    }

    static Speeds measure(Path file, boolean warm, int rounds, ChunkedDigest agent, ChunkedDigest oneStream) throws Exception {
        List<Double> read = new ArrayList<>();
        List<Double> chunked = new ArrayList<>();
        List<Double> fresh = new ArrayList<>();
        List<Double> single = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long size = Files.size(file);
        ChunkedDigest.Chunks expected = agent.chunks(file, ChunkedDigest.DEFAULT_CHUNK_BYTES);
        for (int i = 0; i < rounds; i++) {
            read.add(speed(file, warm, () -> rawRead(file)));
            long cpu0 = os.getProcessCpuTime();
            chunked.add(speed(file, warm, () -> assertTrue(agent.check(file, expected).isEmpty())));
            cpu.add(size * 1e9 / (os.getProcessCpuTime() - cpu0));
            fresh.add(speed(file, warm, () -> assertTrue(ChunkedDigest.verify(file, expected).isEmpty())));
            single.add(speed(file, warm, () -> assertTrue(oneStream.check(file, expected).isEmpty())));
        }
        return new Speeds(size, best(read), best(chunked), best(fresh), best(single), best(cpu));
    }

    /** Bytes per second of one check of {@code file}, after the cache is prepared (not timed). */
    static double speed(Path file, boolean warm, Check check) throws Exception {
        prepare(file, warm);
        long t = System.nanoTime();
        check.run();
        return Files.size(file) * 1e9 / (System.nanoTime() - t);
    }

    static double best(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    /** Cold: the page cache is dropped; warm: the file was just read. */
    static void prepare(Path file, boolean warm) throws Exception {
        if (warm) {
            rawRead(file);
        } else {
            // Dirty pages survive drop_caches: write them back first, or "cold" reads come from memory.
            new ProcessBuilder("sync").inheritIO().start().waitFor();
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3\n");
        }
    }

    /** The physical floor: sequential reads of the same file into large buffers, no processing. */
    static void rawRead(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(ChunkedDigest.DEFAULT_CHUNK_BYTES);
        try (FileChannel ch = FileChannel.open(file)) {
            while (ch.read(b.clear()) >= 0) {
                // just read
            }
        }
    }

    static void writeRandom(Path file, long bytes) throws IOException {
        byte[] chunk = new byte[1 << 20];
        new Random(1).nextBytes(chunk);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (long done = 0; done < bytes; done += chunk.length) {
                ch.write(ByteBuffer.wrap(chunk));
            }
        }
    }

    static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }
}
