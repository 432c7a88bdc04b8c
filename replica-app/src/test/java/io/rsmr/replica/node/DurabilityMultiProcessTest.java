package io.rsmr.replica.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.KvClient;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.storage.ChunkPacks;
import io.rsmr.replica.transport.Membership;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real replica JVMs on loopback with their data directories on the real file system: a replica
 * SIGKILLed and restarted over a damaged data directory recovers from its peers to the same
 * certified checkpoint; SIGKILL of every replica at once during writes loses no acknowledged write
 * (a process crash: the page cache survives it; what survives a power loss is the fsync policy's
 * part, synced before anything is sent). Each test takes about 30-40 s here.
 */
class DurabilityMultiProcessTest {
    private static final int WRITERS = 4;
    private static final int VALUE_BYTES = 1024;
    private static final List<String> REPLICA_JVM = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    private static final int VICTIM = 4;
    /** About 600 KiB of state: several chunks, written in a few seconds. */
    private static final int LOADED_WRITES = 600;

    @TempDir
    Path dir;

    private final ClusterWriters writers = new ClusterWriters((writer, i) -> {
        byte[] value = new byte[VALUE_BYTES];
        new Random(writer * 1_000_003L + i).nextBytes(value);
        return value;
    });

    @AfterEach
    void stopWriters() throws InterruptedException {
        writers.stop();
    }

    @Test
    void aReplicaKilledAndRestartedOverADamagedDataDirectoryRecoversTheCertifiedState() throws Exception {
        try (LocalCluster cluster = startCluster()) {
            try (RsmrClient client = client(cluster)) {
                KvClient kv = new KvClient(client, KvLimits.defaults());
                writers.start(kv, WRITERS);
                awaitAcknowledged(LOADED_WRITES);
                await("replica " + VICTIM + " holds a stable checkpoint with chunks on disk",
                        () -> cluster.status(VICTIM).map(s -> s.stableCheckpointSeq() > 0).orElse(false)
                                && storedChunks(cluster).size() > 0);
                writers.stop();

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

    /**
     * Over real TCP, a peer serves chunks in detached frames with wrong bytes. If it vouches for the
     * certified digest (SPOILED: what an attacker on the wire could also cause, the bytes are not
     * MACed), the recovering replica refuses each such chunk and fetches it again, without blaming
     * the peer; if it vouches for another digest (FORGED: its own authenticated lie), the replica
     * reports it and avoids it. Either way the replica ends with the certified state.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"SPOILED_CHUNKS, false", "FORGED_CHUNKS, true"})
    void aRecoveringReplicaRefusesWrongChunksAndBlamesOnlyASenderThatVouchedForThem(ByzantineMode mode, boolean blamed)
            throws Exception {
        int spoiler = 2;
        try (LocalCluster cluster = startCluster(Map.of(spoiler, mode))) {
            try (RsmrClient client = client(cluster)) {
                KvClient kv = new KvClient(client, KvLimits.defaults());
                writers.start(kv, WRITERS);
                awaitAcknowledged(LOADED_WRITES);
                await("replica " + VICTIM + " holds a stable checkpoint",
                        () -> cluster.status(VICTIM).map(s -> s.stableCheckpointSeq() > 0).orElse(false));
                writers.stop();

                cluster.kill(VICTIM);
                for (String name : List.of("wal", ChunkPacks.DIRECTORY, "checkpoint")) {
                    deleteTree(cluster.dataDir(VICTIM).resolve(name));
                }
                String recovered = restartAndAwaitRecovery(cluster, 2);
                String log = Files.readString(dir.resolve("replica-" + VICTIM + ".log"));
                if (blamed) {
                    assertTrue(recovered.contains("\"badPeers\":[" + spoiler + "]"), "replica " + spoiler
                            + " vouched for wrong chunks and must be the one bad peer: " + recovered);
                    assertTrue(log.contains("peer replica " + spoiler + " served state that does not match"), log);
                } else {
                    assertTrue(recovered.contains("\"badPeers\":[]"), "spoiled bytes blame nobody: " + recovered);
                    await("replica " + VICTIM + "'s status counts the spoiled chunks it refused",
                            () -> statusText(cluster).contains("CHUNK_SPOILED="));
                }
                writeMore(kv);
                awaitSameStableCheckpoint(cluster);
            }
        }
    }

    @Test
    void noAcknowledgedWriteIsLostWhenEveryReplicaIsKilledAtOnce() throws Exception {
        try (LocalCluster cluster = startCluster()) {
            try (RsmrClient client = client(cluster)) {
                KvClient kv = new KvClient(client, KvLimits.defaults());
                writers.start(kv, WRITERS);
                awaitAcknowledged(400);
                for (int id = 1; id <= 4; id++) {
                    cluster.kill(id);
                }
                int beforeCrash = writers.acknowledged().size();
                cluster.startAll();
                awaitAcknowledged(beforeCrash + 100);
                writers.stop();
                assertEveryAcknowledgedWriteIsThere(kv);
                for (int id = 1; id <= 4; id++) {
                    String log = Files.readString(dir.resolve("replica-" + id + ".log"));
                    assertTrue(log.contains("resume ("), "replica " + id + " resumed from its own log:\n" + log);
                }
            }
        }
    }

    private LocalCluster startCluster() throws Exception {
        return startCluster(Map.of());
    }

    private LocalCluster startCluster(Map<Integer, ByzantineMode> byzantine) throws Exception {
        LocalCluster cluster = LocalCluster.create(dir, new LocalCluster.Spec("dur-test", 4, 0, 1, REPLICA_JVM, byzantine));
        cluster.startAll();
        return cluster;
    }

    private RsmrClient client(LocalCluster cluster) throws Exception {
        Membership membership = Membership.of(new ClusterConfigLoader().load(cluster.configFile()));
        return RsmrClient.start(ClientSettings.defaults(membership, WRITERS).withRequestTimeoutMillis(20_000));
    }

    /** Some writes with the recovered replica voting again, so it must keep up with its peers. */
    private void writeMore(KvClient kv) throws InterruptedException {
        int before = writers.acknowledged().size();
        writers.start(kv, WRITERS);
        awaitAcknowledged(before + 50);
        writers.stop();
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

    private List<ChunkPacks.Body> storedChunks(LocalCluster cluster) {
        try {
            return ChunkPacks.bodies(cluster.dataDir(VICTIM));
        } catch (IOException e) {
            return List.of();
        }
    }

    private void overwriteChunksWithRandomBytes(LocalCluster cluster) throws IOException {
        Random random = new Random(42);
        for (ChunkPacks.Body chunk : storedChunks(cluster)) {
            chunk.overwrite(random, 64);
        }
    }

    private static String statusText(LocalCluster cluster) {
        try {
            return Files.readString(cluster.dataDir(VICTIM).resolve(StatusFile.NAME));
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteTree(Path path) throws IOException {
        if (Files.exists(path)) {
            try (var paths = Files.walk(path)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
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

    private void awaitAcknowledged(int count) throws InterruptedException {
        writers.awaitAcknowledged(count, "writes go on (logs in " + dir + ")");
    }

    private void assertEveryAcknowledgedWriteIsThere(KvClient kv) throws Exception {
        assertTrue(writers.acknowledged().size() >= 100, "only " + writers.acknowledged().size() + " acknowledged");
        writers.assertAllReadable(kv);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        ClusterWriters.await(what, condition);
    }
}
