package io.rsmr.replica.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.KvClient;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvResult;
import io.rsmr.replica.transport.Membership;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real replica JVMs on loopback. Clients keep writing while the leader is SIGKILLed and later
 * restarted, with one replica Byzantine throughout; then every acknowledged write must be
 * readable and every correct replica must reach the same state digest.
 *
 * <p>n = 4 (k = 0): the Byzantine replica sends clients wrong results (the client's k'+1 vote
 * must outvote it); n = 6 (k = k' = 1): it also garbles every protocol message it sends, while
 * the killed leader is the one silent replica k allows. Takes about 30-60 s per cluster here.
 */
class MultiProcessClusterTest {
    private static final int WRITERS = 4;
    private static final int WRITES_PER_PHASE = 40;
    private static final List<String> REPLICA_JVM = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    @TempDir
    Path dir;

    private final ClusterWriters writers = new ClusterWriters(
            (writer, i) -> bytes("value " + i + " of writer " + writer));

    @ParameterizedTest(name = "n={0} k={1} k'={2}, replica {3} {4}")
    @CsvSource({"4, 0, 1, 4, WRONG_REPLIES", "6, 1, 1, 3, GARBLE"})
    void acknowledgedWritesSurviveLeaderCrashRestartAndAByzantineReplica(int n, int k, int kPrime, int byzantineId,
            ByzantineMode mode) throws Exception {
        LocalCluster.Spec spec = new LocalCluster.Spec("mp-test", n, k, kPrime, REPLICA_JVM, Map.of(byzantineId, mode));
        try (LocalCluster cluster = LocalCluster.create(dir, spec)) {
            cluster.startAll();
            Membership membership = Membership.of(new ClusterConfigLoader().load(cluster.configFile()));
            try (RsmrClient client = RsmrClient.start(ClientSettings.defaults(membership, WRITERS)
                    .withRequestTimeoutMillis(20_000))) {
                KvClient kv = new KvClient(client, KvLimits.defaults());
                writers.start(kv, WRITERS);
                awaitWrites("the cluster serves writes", WRITES_PER_PHASE, cluster);
                cluster.kill(1);
                awaitWrites("writes go on after the leader (replica 1) was killed", WRITES_PER_PHASE, cluster);
                cluster.start(1);
                awaitWrites("writes go on after replica 1 restarted", WRITES_PER_PHASE, cluster);
                // Restarted over its intact data directory in the same epoch, replica 1 resumes from its own
                // log and reports at once; the writers keep going meanwhile.
                await("replica 1 reports it recovered", () -> recoveredReports(cluster) == 2);
                writers.stop();
                assertEveryAcknowledgedWriteIsThere(kv);
                assertScanSeesWriterZero(kv);
                Set<Integer> correct = membership.members().stream().map(Membership.Member::id)
                        .filter(id -> id != byzantineId).collect(Collectors.toSet());
                awaitSameState(cluster, correct);
                String reports = Files.readString(cluster.agentReport(1));
                assertEquals(2, reports.lines().filter(l -> l.contains("\"event\":\"replica-ready\",\"replicaId\":1,")).count(),
                        "replica 1 reported ready at both starts: " + reports);
            }
        }
    }

    private void awaitWrites(String what, int more, LocalCluster cluster) throws InterruptedException {
        writers.awaitAcknowledged(writers.acknowledged().size() + more, what + " (logs in " + dir + ")");
    }

    /** How many "recovered" lines replica 1 wrote: one per start, the second after catching up. */
    private static long recoveredReports(LocalCluster cluster) {
        try {
            return Files.readString(cluster.agentReport(1)).lines()
                    .filter(l -> l.contains("\"event\":\"recovered\",\"replicaId\":1,")).count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private void assertEveryAcknowledgedWriteIsThere(KvClient kv) throws Exception {
        assertTrue(writers.acknowledged().size() >= 3 * WRITES_PER_PHASE);
        writers.assertAllReadable(kv);
    }

    private void assertScanSeesWriterZero(KvClient kv) throws Exception {
        Set<String> writerZero = writers.acknowledged().keySet().stream().filter(key -> key.startsWith("w0-"))
                .collect(Collectors.toSet());
        Set<String> scanned = new java.util.HashSet<>();
        byte[] after = new byte[0];
        KvResult.Entries page;
        do {
            page = (KvResult.Entries) kv.scan(bytes("w0-"), after, 1000);
            page.entries().forEach(e -> scanned.add(new String(e.key(), StandardCharsets.UTF_8)));
            after = page.entries().isEmpty() ? after : page.entries().get(page.entries().size() - 1).key();
        } while (page.more());
        assertTrue(scanned.containsAll(writerZero), "scan misses acknowledged keys of writer 0");
    }

    private void awaitSameState(LocalCluster cluster, Set<Integer> correct) throws InterruptedException {
        await("correct replicas " + correct + " reach the same state", () -> {
            Set<String> digests = correct.stream().map(cluster::status)
                    .map(status -> status.map(s -> s.lastExecutedSeq() + "/" + s.stateDigest()).orElse("none"))
                    .collect(Collectors.toSet());
            return digests.size() == 1 && !digests.contains("none");
        });
        Optional<LocalCluster.Status> one = cluster.status(correct.iterator().next());
        assertTrue(one.isPresent() && one.get().lastExecutedSeq() > 0);
        for (int id : correct) {
            LocalCluster.Status status = cluster.status(id).orElseThrow();
            assertEquals(one.get().stateDigest(), status.stateDigest(), "replica " + id);
            assertEquals(one.get().chainHash(), status.chainHash(), "replica " + id);
            assertTrue(status.view() >= 1, "replica " + id + " moved past the killed leader's view 0");
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        ClusterWriters.await(what, condition);
    }

    private static byte[] bytes(String text) {
        return ClusterWriters.bytes(text);
    }
}
