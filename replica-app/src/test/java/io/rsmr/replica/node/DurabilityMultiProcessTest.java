package io.rsmr.replica.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.KvClient;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvResult;
import io.rsmr.replica.storage.ChunkFiles;
import io.rsmr.replica.transport.Membership;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real replica JVMs on loopback with their data directories on the real file system: a replica
 * SIGKILLed and restarted over a damaged data directory recovers from its peers to the same
 * certified checkpoint; SIGKILL of every replica at once during writes loses no acknowledged write
 * (a process crash: the page cache survives it; what survives a power loss is the fsync policy's
 * part, synced before anything is sent). Each test takes about 30-40 s here.
 */
class DurabilityMultiProcessTest {
    private static final long PHASE_MILLIS_MAX = 60_000;
    private static final int WRITERS = 4;
    private static final int VALUE_BYTES = 1024;
    private static final List<String> REPLICA_JVM = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    private static final int VICTIM = 4;
    /** About 600 KiB of state: several chunks, written in a few seconds. */
    private static final int LOADED_WRITES = 600;

    @TempDir
    Path dir;

    private final Map<String, byte[]> acknowledged = new ConcurrentHashMap<>();
    private final AtomicBoolean writing = new AtomicBoolean(true);
    private final List<Thread> writers = new ArrayList<>();

    @AfterEach
    void stopWriters() throws InterruptedException {
        writing.set(false);
        for (Thread writer : writers) {
            writer.join(PHASE_MILLIS_MAX);
        }
        writers.clear();
    }

    @Test
    void aReplicaKilledAndRestartedOverADamagedDataDirectoryRecoversTheCertifiedState() throws Exception {
        try (LocalCluster cluster = LocalCluster.create(dir, new LocalCluster.Spec("dur-test", 4, 0, 1, REPLICA_JVM,
                Map.of()))) {
            cluster.startAll();
            try (RsmrClient client = client(cluster)) {
                KvClient kv = new KvClient(client, KvLimits.defaults());
                startWriters(kv);
                awaitAcknowledged(LOADED_WRITES);
                await("replica " + VICTIM + " holds a stable checkpoint with chunks on disk",
                        () -> cluster.status(VICTIM).map(s -> s.stableCheckpointSeq() > 0).orElse(false)
                                && chunkFiles(cluster).size() > 0);
                stopWriters();

                cluster.kill(VICTIM);
                overwriteChunksWithRandomBytes(cluster);
                truncateLastLogSegment(cluster);
                String first = restartAndAwaitRecovery(cluster, 2);
                assertTrue(LocalCluster.number(first, "chunksFetched") >= 1, "every local chunk was damaged: " + first);
                writeMore(kv);

                cluster.kill(VICTIM);
                Files.delete(cluster.dataDir(VICTIM).resolve("checkpoint"));
                String second = restartAndAwaitRecovery(cluster, 3);
                assertTrue(LocalCluster.number(second, "chunksLocal") >= 1, "intact local chunks are reused: " + second);
                String log = Files.readString(dir.resolve("replica-" + VICTIM + ".log"));
                List<String> boots = log.lines().filter(l -> l.contains("replica " + VICTIM + " epoch 1: ")).toList();
                assertEquals(3, boots.size(), log);
                assertTrue(boots.get(2).contains(": recover ("), "the last boot says it recovers, and why: " + boots.get(2));
                writeMore(kv);

                awaitSameStableCheckpoint(cluster);
                assertEveryAcknowledgedWriteIsThere(kv);
            }
        }
    }

    @Test
    void noAcknowledgedWriteIsLostWhenEveryReplicaIsKilledAtOnce() throws Exception {
        try (LocalCluster cluster = LocalCluster.create(dir, new LocalCluster.Spec("dur-test", 4, 0, 1, REPLICA_JVM,
                Map.of()))) {
            cluster.startAll();
            try (RsmrClient client = client(cluster)) {
                KvClient kv = new KvClient(client, KvLimits.defaults());
                startWriters(kv);
                awaitAcknowledged(400);
                for (int id = 1; id <= 4; id++) {
                    cluster.kill(id);
                }
                int beforeCrash = acknowledged.size();
                cluster.startAll();
                awaitAcknowledged(beforeCrash + 100);
                writing.set(false);
                stopWriters();
                assertEveryAcknowledgedWriteIsThere(kv);
                for (int id = 1; id <= 4; id++) {
                    String log = Files.readString(dir.resolve("replica-" + id + ".log"));
                    assertTrue(log.contains("resume ("), "replica " + id + " resumed from its own log:\n" + log);
                }
            }
        }
    }

    private RsmrClient client(LocalCluster cluster) throws Exception {
        Membership membership = Membership.of(new ClusterConfigLoader().load(cluster.configFile()));
        return RsmrClient.start(ClientSettings.defaults(membership, WRITERS).withRequestTimeoutMillis(20_000));
    }

    /** Some writes with the recovered replica voting again, so it must keep up with its peers. */
    private void writeMore(KvClient kv) throws InterruptedException {
        writing.set(true);
        int before = acknowledged.size();
        startWriters(kv);
        awaitAcknowledged(before + 50);
        stopWriters();
    }

    /** Restarts the victim over its damaged directory while no client writes, so the certified state holds still. */
    private String restartAndAwaitRecovery(LocalCluster cluster, int recoveredLines) throws Exception {
        cluster.start(VICTIM);
        try {
            await("replica " + VICTIM + " reports recovered line " + recoveredLines,
                    () -> recoveredLines(cluster).size() >= recoveredLines);
        } catch (AssertionError e) {
            System.out.println("replica " + VICTIM + " reported:\n" + Files.readString(cluster.agentReport(VICTIM))
                    + "\nits log:\n" + Files.readString(dir.resolve("replica-" + VICTIM + ".log")));
            throw e;
        }
        String line = recoveredLines(cluster).get(recoveredLines - 1);
        System.out.println("replica " + VICTIM + " reported:\n" + Files.readString(cluster.agentReport(VICTIM)));
        assertTrue(LocalCluster.number(line, "checkpointSeq") > 0 && LocalCluster.number(line, "recoverMillis") >= LocalCluster.number(line, "loadMillis"), line);
        return line;
    }

    private List<String> recoveredLines(LocalCluster cluster) {
        try {
            return Files.readString(cluster.agentReport(VICTIM)).lines()
                    .filter(l -> l.startsWith("{\"event\":\"recovered\"")).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private List<Path> chunkFiles(LocalCluster cluster) {
        try (var files = Files.list(cluster.dataDir(VICTIM).resolve(ChunkFiles.DIRECTORY))) {
            return files.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private void overwriteChunksWithRandomBytes(LocalCluster cluster) throws IOException {
        Random random = new Random(42);
        for (Path chunk : chunkFiles(cluster)) {
            try (RandomAccessFile file = new RandomAccessFile(chunk.toFile(), "rw")) {
                byte[] garbage = new byte[(int) Math.min(64, file.length())];
                random.nextBytes(garbage);
                file.seek(random.nextInt((int) (file.length() - garbage.length) + 1));
                file.write(garbage);
            }
        }
    }

    private void truncateLastLogSegment(LocalCluster cluster) throws IOException {
        try (var files = Files.list(cluster.dataDir(VICTIM).resolve("wal"))) {
            Path last = files.sorted().reduce((a, b) -> b).orElseThrow();
            try (FileChannel channel = FileChannel.open(last, StandardOpenOption.WRITE)) {
                channel.truncate(channel.size() / 2);
            }
        }
    }

    private void awaitSameStableCheckpoint(LocalCluster cluster) throws InterruptedException {
        await("all replicas hold the same stable checkpoint and state", () -> {
            Set<String> views = IntStream.rangeClosed(1, 4).mapToObj(cluster::status)
                    .map(s -> s.map(x -> x.recovering() + "/" + x.stableCheckpointSeq() + "/"
                            + x.stableCheckpointDigest() + "/" + x.lastExecutedSeq() + "/" + x.stateDigest())
                            .orElse("none"))
                    .collect(Collectors.toSet());
            return views.size() == 1 && views.iterator().next().startsWith("false/");
        });
        LocalCluster.Status victim = cluster.status(VICTIM).orElseThrow();
        assertTrue(victim.stableCheckpointSeq() > 0);
        assertEquals(cluster.status(1).orElseThrow().stableCheckpointDigest(), victim.stableCheckpointDigest());
    }

    private void startWriters(KvClient kv) {
        for (int t = 0; t < WRITERS; t++) {
            int writer = t;
            Thread thread = new Thread(() -> write(kv, writer), "writer-" + t);
            thread.setDaemon(true);
            thread.start();
            writers.add(thread);
        }
    }

    private void write(KvClient kv, int writer) {
        Random random = new Random(writer);
        for (int i = 0; writing.get(); i++) {
            String key = "w" + writer + "-" + String.format("%06d", i);
            byte[] value = new byte[VALUE_BYTES];
            random.nextBytes(value);
            try {
                KvResult result = kv.put(bytes(key), value);
                assertInstanceOf(KvResult.Ok.class, result, key);
                acknowledged.put(key, value);
            } catch (TimeoutException e) {
                // Unacknowledged: it may or may not have been applied; nothing is promised.
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void awaitAcknowledged(int count) throws InterruptedException {
        await(count + " writes acknowledged (logs in " + dir + ")", () -> acknowledged.size() >= count);
    }

    private void assertEveryAcknowledgedWriteIsThere(KvClient kv) throws Exception {
        assertTrue(acknowledged.size() >= 100, "only " + acknowledged.size() + " writes acknowledged");
        for (Map.Entry<String, byte[]> write : acknowledged.entrySet()) {
            KvResult read = kv.get(bytes(write.getKey()));
            assertInstanceOf(KvResult.Value.class, read, "acknowledged write of " + write.getKey() + " lost");
            assertArrayEquals(write.getValue(), ((KvResult.Value) read).value(), write.getKey());
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + PHASE_MILLIS_MAX;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out after " + PHASE_MILLIS_MAX + " ms waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
