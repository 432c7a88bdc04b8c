package io.rsmr.agent.bench;

import io.rsmr.agent.bench.DigestSpeeds.Speeds;
import io.rsmr.agent.vm.VmBench;
import io.rsmr.common.image.ChunkedDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The SHA-256 part of the rejuvenation bench alone, without a guest (about a minute): the agent's
 * check of the golden root image and of a 1 GiB file beside a raw sequential read of the same file,
 * and the check by read block size. Prints a section for bench/agent-rejuvenation.md and writes it to
 * agent/target/digest-bench.md. Run: agent/bench.sh --digest (root: it drops the page cache).
 */
@Tag("bench")
class DigestBench {
    static final int ROUNDS = 7;
    static final int BLOCK_ROUNDS_ROOT = 7;
    static final int BLOCK_ROUNDS_BIG = 3;
    static final long BIG_FILE_BYTES = 1L << 30;
    static final int[] BLOCK_SIZES = {256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20};
    static final int JIT_WARMUP_CHECKS = 3;

    @Test
    void sha256VsRawRead() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "rsmr-digest-bench-");
        try (ChunkedDigest agent = new ChunkedDigest();
             ChunkedDigest oneStream = new ChunkedDigest(1, ChunkedDigest.DEFAULT_BLOCK_BYTES)) {
            Path root = Files.copy(VmBench.REPO.resolve("vm-images/out/root.img"), dir.resolve("root.img"));
            Path big = dir.resolve("big.bin");
            DigestSpeeds.writeRandom(big, BIG_FILE_BYTES);
            for (int i = 0; i < JIT_WARMUP_CHECKS; i++) {
                agent.chunks(big, ChunkedDigest.DEFAULT_CHUNK_BYTES); // SHA-256's intrinsic needs compiled code
            }
            String loadBefore = DigestSpeeds.loadAverage();
            Map<String, Speeds> speeds = new LinkedHashMap<>();
            speeds.put("root image " + mb(Files.size(root)) + " | cold", DigestSpeeds.measure(root, false, ROUNDS, agent, oneStream));
            speeds.put("root image | warm", DigestSpeeds.measure(root, true, ROUNDS, agent, oneStream));
            speeds.put("1 GiB random | cold", DigestSpeeds.measure(big, false, ROUNDS, agent, oneStream));
            speeds.put("1 GiB random | warm", DigestSpeeds.measure(big, true, ROUNDS, agent, oneStream));
            Map<Integer, Double> rootBlocks = blockSizes(root, BLOCK_ROUNDS_ROOT);
            Map<Integer, Double> bigBlocks = blockSizes(big, BLOCK_ROUNDS_BIG);
            String report = report(speeds, rootBlocks, bigBlocks, loadBefore + " -> " + DigestSpeeds.loadAverage());
            System.out.println(report);
            Files.writeString(Files.createDirectories(Path.of("target")).resolve("digest-bench.md"), report);
        } finally {
            DigestSpeeds.deleteTree(dir);
        }
    }

    /** The agent's check of the cold file by read block size, each on its own reused object, rounds interleaved. */
    private static Map<Integer, Double> blockSizes(Path file, int rounds) throws Exception {
        Map<Integer, List<Double>> all = new LinkedHashMap<>();
        List<ChunkedDigest> checkers = new ArrayList<>();
        try {
            for (int block : BLOCK_SIZES) {
                checkers.add(new ChunkedDigest(ChunkedDigest.hashers(), block));
                all.put(block, new ArrayList<>());
            }
            ChunkedDigest.Chunks expected = checkers.get(0).chunks(file, ChunkedDigest.DEFAULT_CHUNK_BYTES);
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < BLOCK_SIZES.length; i++) {
                    ChunkedDigest c = checkers.get(i);
                    all.get(BLOCK_SIZES[i]).add(DigestSpeeds.speed(file, false, () -> {
                        if (c.check(file, expected).isPresent()) {
                            throw new AssertionError("the unchanged file does not match");
                        }
                    }));
                }
            }
        } finally {
            checkers.forEach(ChunkedDigest::close);
        }
        Map<Integer, Double> best = new LinkedHashMap<>();
        all.forEach((block, v) -> best.put(block, DigestSpeeds.best(v)));
        return best;
    }

    private static String report(Map<String, Speeds> speeds, Map<Integer, Double> rootBlocks, Map<Integer, Double> bigBlocks,
                                 String load) throws Exception {
        StringBuilder b = new StringBuilder();
        b.append(VmBench.machine());
        b.append("Command: `agent/bench.sh --digest` (DigestBench: no guest, no peers, no client load). Load average (1 min)"
                + " from the start to the end of the figures: ").append(load).append(".\n");
        b.append("The agent's check: ChunkedDigest, SHA-256 of each ").append(ChunkedDigest.DEFAULT_CHUNK_BYTES >> 20)
                .append(" MiB chunk, one reader thread reading blocks of ").append(ChunkedDigest.DEFAULT_BLOCK_BYTES >> 10)
                .append(" KiB, ").append(ChunkedDigest.hashers()).append(" hashing threads, one object reused across the checks (as the agent)."
                        + " \"new object\": the same check on a new ChunkedDigest each time (threads and buffers made per check)."
                        + " \"one stream\": 1 hashing thread. Best of ").append(ROUNDS)
                .append(" interleaved rounds each (cold: sync + drop_caches before every round).\n\n");
        b.append("| file | cache | raw read | agent's check | ratio (goal >= 0.8) | new object | ratio | one stream | ratio |"
                + " agent's check per CPU-second |\n|---|---|---|---|---|---|---|---|---|---|\n");
        speeds.forEach((name, s) -> b.append(String.format(Locale.ROOT,
                "| %s | %.0f MB/s | %.0f MB/s (%.1f ms) | %.2f | %.0f MB/s | %.2f | %.0f MB/s | %.2f | %.0f MB/s |%n", name,
                s.read() / 1e6, s.chunked() / 1e6, s.bytes() / s.chunked() * 1e3, s.chunked() / s.read(), s.fresh() / 1e6,
                s.fresh() / s.read(), s.single() / 1e6, s.single() / s.read(), s.cpu() / 1e6)));
        b.append("\nThe agent's check by read block size, cold, best of ").append(BLOCK_ROUNDS_ROOT).append(" (root image) / ")
                .append(BLOCK_ROUNDS_BIG).append(" (1 GiB) interleaved rounds:\n\n| block | root image | 1 GiB |\n|---|---|---|\n");
        rootBlocks.forEach((block, speed) -> b.append(String.format(Locale.ROOT, "| %d KiB | %.0f MB/s | %.0f MB/s |%n", block >> 10,
                speed / 1e6, bigBlocks.get(block) / 1e6)));
        return b.toString();
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }
}
