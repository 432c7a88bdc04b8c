package io.rsmr.agent.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rsmr.agent.Agent;
import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.journal.Journal;
import io.rsmr.agent.journal.JournalVerifier;
import io.rsmr.agent.libvirt.DomainState;
import io.rsmr.agent.libvirt.LibvirtHypervisor;
import io.rsmr.agent.rejuvenation.RejuvenationReport;
import io.rsmr.agent.rejuvenation.Step;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.image.ImageManifest;
import io.rsmr.common.image.ImageVerifier;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Algorithm 1 on real libvirt and QEMU (TCG here) with vm-images' guest, one guest for all tests:
 * the real replica (replica 3 of a cluster of 3, k = 1, k' = 0) whose two peers run on this
 * machine as processes of the same replica jar ({@link HostReplicas}), while a client on the host
 * keeps committing operations ({@link LoadDriver}). The transfer step ends at the replica's own
 * {@code recovered} line, after it caught up with its peers' certified state.
 */
@Tag("vm")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RejuvenationVmTest {
    private static final int GUEST = VmFixture.GUEST_WITH_PEERS;
    /** Any bytes of a 64 MiB data disk may be hit; these extents cover the file system's start, middle and end. */
    private static final int CORRUPT_EXTENTS = 16;
    private static final int CORRUPT_EXTENT_BYTES = 64 << 10;
    private static final Path LIBVIRTD_PIDFILE = Path.of("/var/run/libvirtd.pid");
    private static final long LIBVIRTD_EXIT_MILLIS_MAX = 30_000;
    private static VmFixture fx;
    private static Path config;
    private static Path settings;
    private static HostReplicas peers;
    private static LoadDriver load;

    @BeforeAll
    static void fixture() throws Exception {
        fx = new VmFixture(GUEST);
        // Generous: a recovering replica under TCG took 6-30 s here, over 60 s once at a load average of 20.
        config = fx.clusterConfigWithHostPeers("cluster.yaml", "120s", List.of("alert"));
        settings = fx.replicaSettings("agent.yaml");
        peers = HostReplicas.start(fx, config, VmFixture.HOST_PEERS);
        load = LoadDriver.start(config, peers);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (load != null) {
            load.close();
            System.out.println("load driver: " + load.puts() + " puts, failures: " + load.failures());
        }
        if (peers != null) {
            peers.close();
        }
        if (fx != null) {
            fx.close();
        }
    }

    static RejuvenationReport rejuvenate(Path configFile, Path settingsFile) throws Exception {
        try (Agent agent = Agent.start(configFile, settingsFile, System.out)) {
            RejuvenationReport r = agent.rejuvenate(GUEST).orElseThrow();
            System.out.println("report: " + r);
            return r;
        }
    }

    static DomainState domainState() throws Exception {
        try (LibvirtHypervisor h = new LibvirtHypervisor(VmFixture.URI)) {
            return h.state(fx.domain);
        }
    }

    private static Path overlay() {
        return fx.stateDir.resolve("replicas/r" + GUEST + "/root.qcow2");
    }

    private static Path dataDisk() {
        return fx.stateDir.resolve("replicas/r" + GUEST + "/data.img");
    }

    private static List<Map<String, Object>> journal() throws Exception {
        return new Journal(fx.stateDir.resolve("journal.jsonl"), fx.agentKey, Clock.systemUTC()).bodies();
    }

    private static int overlayMatchesGolden() throws Exception {
        return VmFixture.run("qemu-img", "compare", "-q", "-U", "-f", "qcow2", "-F", "raw", overlay().toString(),
                fx.golden.resolve("root.img").toString());
    }

    @Test
    @Order(1)
    void aRejuvenationBootsTheGuestFromCleanCodeWithinEveryBound() throws Exception {
        RejuvenationReport r = rejuvenate(config, settings);
        assertTrue(r.succeeded(), r.toString());
        assertEquals(7, r.steps().size());
        assertTrue(r.steps().stream().allMatch(t -> t.marginNanos() > 0));
        assertEquals(DomainState.ACTIVE, domainState());
        assertTrue(JournalVerifier.verify(fx.stateDir.resolve("journal.jsonl"), fx.agentKey.publicKey()).ok());
        Map<String, Object> recovered = lastRecovered();
        assertEquals(lastEpoch(), ((Number) recovered.get("epoch")).longValue(), "the replica of this epoch said it recovered");
    }

    @Test
    @Order(2)
    void aRejuvenatedReplicaRecoversTheCertifiedStateOfItsPeers() throws Exception {
        awaitPuts(2L * CHECKPOINT_SEQS); // state worth recovering: more than one checkpoint of it
        RejuvenationReport r = rejuvenate(config, settings);
        assertTrue(r.succeeded(), r.toString());
        assertRecoveredCertifiedState(lastEpoch());
    }

    /** Last: the guest formats an unusable data disk itself, and what it makes may not survive the next power-off. */
    @Test
    @Order(11)
    void aReplicaWhoseDataDiskWasCorruptedComesBackWithTheCertifiedState() throws Exception {
        awaitPuts(load.puts() + CHECKPOINT_SEQS);
        assertEquals(0, VmFixture.run("virsh", "-c", VmFixture.URI, "destroy", fx.domain));
        corrupt(dataDisk());
        Object inode = Files.getAttribute(dataDisk(), "unix:ino");
        RejuvenationReport r = rejuvenate(config, settings);
        assertTrue(r.succeeded(), r.toString());
        assertEquals(inode, Files.getAttribute(dataDisk(), "unix:ino"), "the agent kept the data disk (it never makes a new one)");
        assertRecoveredCertifiedState(lastEpoch());
    }

    @Test
    @Order(4)
    void dataPlantedInTheRootOverlayIsGoneAfterRejuvenation() throws Exception {
        // What a compromised guest leaves behind on its root disk: its own writes in the overlay.
        // QEMU's image locking forbids a second writer while the guest runs, so the data is
        // planted while the VM is off (as if written just before the power-off).
        assertEquals(0, VmFixture.run("virsh", "-c", VmFixture.URI, "destroy", fx.domain));
        assertEquals(0, VmFixture.run("qemu-io", "-f", "qcow2", "-c", "write -P 0xab 1048576 65536", overlay().toString()));
        assertEquals(1, overlayMatchesGolden(), "the planted data makes the guest's root differ from the golden root");

        assertTrue(rejuvenate(config, settings).succeeded());
        assertEquals(0, overlayMatchesGolden(), "after rejuvenation the guest's root is the golden root again");
    }

    /** A byte in the root image's fourth 4 MiB chunk (chunk 3): the agent's check must name that chunk. */
    static final long TAMPERED_OFFSET = 3L * (4 << 20) + 4096;

    @Test
    @Order(5)
    void aTamperedGoldenRootImageIsDetectedAndRestoredFromTheReadOnlyCopy() throws Exception {
        Path root = fx.golden.resolve("root.img");
        ImageManifest m = ImageManifest.read(fx.golden.resolve("manifest.json"));
        try (Agent agent = Agent.start(config, settings, System.out)) {
            try (RandomAccessFile f = new RandomAccessFile(root.toFile(), "rw")) {
                f.seek(TAMPERED_OFFSET);
                int b = f.read();
                f.seek(TAMPERED_OFFSET);
                f.write(b ^ 0x5a); // tampered while the agent runs
            }
            assertFalse(ImageVerifier.check(m.file("root.img").orElseThrow(), root).ok());
            RejuvenationReport r = agent.rejuvenate(GUEST).orElseThrow();
            assertTrue(r.succeeded(), r.toString());
        }
        assertTrue(ImageVerifier.check(m.file("root.img").orElseThrow(), root).ok(), "restored");
        List<Map<String, Object>> j = journal();
        long chunk = TAMPERED_OFFSET / m.file("root.img").orElseThrow().chunks().chunkBytes();
        String named = "chunk " + chunk + " at offset " + chunk * m.file("root.img").orElseThrow().chunks().chunkBytes() + ": sha256 ";
        assertTrue(j.stream().anyMatch(b -> "golden-file-corrupt".equals(b.get("type")) && root.toString().equals(b.get("file"))
                && "WRONG_DIGEST".equals(b.get("status")) && String.valueOf(b.get("detail")).startsWith(named)),
                "detected in check-sm-code and journaled, naming the chunk: " + j);
        assertTrue(j.stream().anyMatch(b -> "golden-file-restored".equals(b.get("type")) && root.toString().equals(b.get("file"))));
    }

    @Test
    @Order(6)
    void anAgentRefusesToStartOnAStoreWhoseManifestSignatureIsBad() throws Exception {
        fx.signManifest(Ed25519Keys.generate(new SecureRandom())); // not the operator's key
        try {
            Agent.StartupException e = assertThrows(Agent.StartupException.class,
                    () -> Agent.start(config, settings, System.out).close());
            assertTrue(e.getMessage().contains("golden store cannot be verified"), e.getMessage());
        } finally {
            fx.signManifest(fx.operator);
        }
    }

    @Test
    @Order(7)
    void aBadManifestSignatureStopsTheRejuvenationAndFiresTheFailSafe() throws Exception {
        int alertsBefore = fx.alerts.size();
        try (Agent agent = Agent.start(config, settings, System.out)) {
            fx.signManifest(Ed25519Keys.generate(new SecureRandom())); // replaced while the agent runs
            RejuvenationReport r = agent.rejuvenate(GUEST).orElseThrow();
            assertFalse(r.succeeded());
            assertEquals(FailSafeCause.BAD_MANIFEST_SIGNATURE, r.cause());
            assertEquals(Step.CHECK_OS_CODE, r.failed());
            assertTrue(domainState().isOff(), "powered off in shutdownOS and never booted on unverified code");
            awaitAlerts(alertsBefore + 1);
            assertTrue(fx.alerts.get(alertsBefore).body().contains("\"cause\":\"bad-manifest-signature\""));
        } finally {
            fx.signManifest(fx.operator);
        }
    }

    @Test
    @Order(8)
    void aGuestThatNeverReportsRecoveryFiresTheFailSafeWithinOneSecondOfTheBound() throws Exception {
        Duration transfer = Duration.ofSeconds(4);
        Path shortConfig = fx.clusterConfigWithHostPeers("cluster-short.yaml", transfer.toSeconds() + "s", List.of("alert"));
        int alertsBefore = fx.alerts.size();
        // A replica that ran before recovers only from its peers: frozen peers leave it recovering for ever.
        load.pause();
        peers.freeze(true);
        RejuvenationReport r;
        try {
            r = rejuvenate(shortConfig, settings);
        } finally {
            peers.freeze(false);
            load.resume();
        }
        assertEquals(FailSafeCause.STEP_OVERRUN, r.cause());
        assertEquals(Step.TRANSFER, r.failed());
        awaitAlerts(alertsBefore + 1);
        Instant transferStart = journal().stream()
                .filter(b -> "step-started".equals(b.get("type")) && "transfer".equals(b.get("step")))
                .map(b -> Instant.parse((String) b.get("time"))).reduce((a, b) -> b).orElseThrow();
        Duration late = Duration.between(transferStart.plus(transfer), fx.alerts.get(alertsBefore).at());
        System.out.println("alert received " + late.toMillis() + " ms after the transfer bound");
        assertTrue(!late.isNegative() && late.compareTo(Duration.ofSeconds(1)) < 0, "late by " + late);
    }

    @Test
    @Order(9)
    void killingTheAgentMidRejuvenationAndRestartingItCompletesTheRejuvenation() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", cp,
                "io.rsmr.agent.AgentMain", "rejuvenate", "-c", config.toString(), "-s", settings.toString(), "--replica",
                Integer.toString(GUEST))
                .redirectErrorStream(true).redirectOutput(fx.dir.resolve("killed-agent.log").toFile()).start();
        long seqBefore = journal().size();
        awaitJournal(seqBefore, "step-started", "boot");
        agent.destroyForcibly(); // SIGKILL in the middle of bootOS
        assertTrue(agent.waitFor(10, TimeUnit.SECONDS));
        long interruptedEpoch = journal().stream().filter(b -> "rejuvenation-started".equals(b.get("type")))
                .map(b -> ((Number) b.get("epoch")).longValue()).reduce((a, b) -> b).orElseThrow();

        try (Agent restarted = Agent.start(config, settings, System.out)) {
            Map<Integer, RejuvenationReport> redone = restarted.finishInterrupted();
            assertTrue(redone.containsKey(GUEST), "the interrupted rejuvenation of replica " + GUEST + " was found in the journal");
            assertTrue(redone.get(GUEST).succeeded(), redone.get(GUEST).toString());
        }
        List<Map<String, Object>> after = journal();
        assertTrue(after.stream().anyMatch(b -> "rejuvenation-interrupted".equals(b.get("type"))
                && ((Number) b.get("epoch")).longValue() == interruptedEpoch));
        Map<String, Object> last = after.stream().filter(b -> "rejuvenation-finished".equals(b.get("type")))
                .reduce((a, b) -> b).orElseThrow();
        assertTrue((Boolean) last.get("succeeded"));
        assertTrue(((Number) last.get("epoch")).longValue() > interruptedEpoch, "a new epoch, fresh keys");
        assertEquals(DomainState.ACTIVE, domainState());
        assertTrue(JournalVerifier.verify(fx.stateDir.resolve("journal.jsonl"), fx.agentKey.publicKey()).ok());
    }

    @Test
    @Order(10)
    void theAgentOutlivesALibvirtdRestartWhileTheGuestKeepsRunning() throws Exception {
        try (Agent agent = Agent.start(config, settings, System.out)) {
            if (domainState() != DomainState.ACTIVE) { // run alone: boot the guest first
                assertTrue(agent.rejuvenate(GUEST).orElseThrow().succeeded());
            }
            long qemu = qemuPid();
            int alertsBefore = fx.alerts.size();
            stopLibvirtd();
            try {
                assertTrue(ProcessHandle.of(qemu).isPresent(), "QEMU outlives libvirtd");
                long started = System.nanoTime();
                RejuvenationReport down = agent.rejuvenate(GUEST).orElseThrow();
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                System.out.println("with libvirtd down: " + down + " after " + took.toMillis() + " ms");
                assertFalse(down.succeeded());
                assertEquals(FailSafeCause.HYPERVISOR_UNREACHABLE, down.cause());
                assertEquals(Step.SHUTDOWN, down.failed());
                assertTrue(took.compareTo(SHUTDOWN_BOUND) < 0, "fired within the shutdown bound: " + took);
                awaitAlerts(alertsBefore + 1);
                assertTrue(fx.alerts.get(alertsBefore).body().contains("\"cause\":\"hypervisor-unreachable\""));
                assertTrue(ProcessHandle.of(qemu).isPresent(), "the guest was left running");
            } finally {
                assertEquals(0, VmFixture.run(VmFixture.REPO.resolve("scripts/libvirt-up.sh").toString()));
            }
            assertEquals(DomainState.ACTIVE, domainState(), "the new libvirtd knows the running guest again");
            assertEquals(qemu, qemuPid(), "the same QEMU process");
            RejuvenationReport r = agent.rejuvenate(GUEST).orElseThrow();
            assertTrue(r.succeeded(), "the same agent, reconnected: " + r);
            assertEquals(lastEpoch(), ((Number) lastRecovered().get("epoch")).longValue(), "the guest's replica recovered");
        }
    }

    /** Also the bound of the cluster configs above. */
    private static final Duration SHUTDOWN_BOUND = Duration.ofSeconds(5);
    /** ProtocolConfig's default checkpoint interval K (what the load driver pauses at). */
    private static final long CHECKPOINT_SEQS = 128;

    /** SIGTERM to the libvirtd that scripts/libvirt-up.sh started (its pid file), then waits until it is gone. */
    private static void stopLibvirtd() throws Exception {
        long pid = Long.parseLong(Files.readString(LIBVIRTD_PIDFILE).strip());
        ProcessHandle libvirtd = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no libvirtd " + pid));
        assertEquals("libvirtd", libvirtd.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("?"),
                LIBVIRTD_PIDFILE + " names pid " + pid + ", which is not libvirtd");
        assertEquals(0, VmFixture.run("kill", "-TERM", Long.toString(pid)));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LIBVIRTD_EXIT_MILLIS_MAX);
        while (libvirtd.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(libvirtd.isAlive(), "libvirtd " + pid + " still runs " + LIBVIRTD_EXIT_MILLIS_MAX + " ms after SIGTERM");
    }

    /** The guest's QEMU process, from the pid file libvirt keeps for a running domain. */
    private static long qemuPid() throws Exception {
        return Long.parseLong(Files.readString(Path.of("/var/run/libvirt/qemu/" + fx.domain + ".pid")).strip());
    }

    /** Overwrites extents spread over the whole disk with random bytes, the first one at offset 0. */
    private static void corrupt(Path disk) throws Exception {
        Random random = new SecureRandom();
        long size = Files.size(disk);
        byte[] junk = new byte[CORRUPT_EXTENT_BYTES];
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            for (int i = 0; i < CORRUPT_EXTENTS; i++) {
                random.nextBytes(junk);
                f.seek(size / CORRUPT_EXTENTS * i);
                f.write(junk);
            }
        }
    }

    /** The epoch of the last rejuvenation the journal records. */
    private static long lastEpoch() throws Exception {
        return journal().stream().filter(b -> "rejuvenation-started".equals(b.get("type")))
                .map(b -> ((Number) b.get("epoch")).longValue()).reduce((a, b) -> b).orElseThrow();
    }

    private static Map<String, Object> lastRecovered() throws Exception {
        return journal().stream().filter(b -> "replica-recovered".equals(b.get("type"))).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no replica-recovered record in the journal"));
    }

    /**
     * The replica of this epoch reported a stable checkpoint past 0; if the load driver saw the
     * host replicas' certified digest at that seq, it is the same; and the replica holds the
     * certified state now: with one host replica frozen, the other one's checkpoints become stable
     * only with the guest's matching votes (q = 2 of 3), and they do.
     */
    private static void assertRecoveredCertifiedState(long epoch) throws Exception {
        Map<String, Object> recovered = lastRecovered();
        System.out.println("recovered: " + recovered + "; load driver failures: " + load.failures());
        assertEquals(epoch, ((Number) recovered.get("epoch")).longValue());
        long seq = ((Number) recovered.get("checkpointSeq")).longValue();
        assertTrue(seq > 0, "the replica recovered a checkpoint past 0, not an empty state: " + recovered);
        load.certifiedDigest(seq).ifPresent(peers -> assertEquals(peers, recovered.get("stateDigest"),
                "the recovered state is the peers' certified state at " + seq));
        assertGuestVotesMatchingCheckpoints();
        assertEquals(List.of(), load.failures(), "every put committed");
    }

    /** Checkpoints the guest's votes must make stable (with one of its two peers frozen). */
    private static final long QUORUM_CHECK_CHECKPOINTS = 2;
    private static final long QUORUM_CHECK_MILLIS_MAX = 90_000;

    private static void assertGuestVotesMatchingCheckpoints() throws Exception {
        JsonNode status = peers.status(1).orElseThrow();
        int leader = (int) (status.path("view").asLong() % VmFixture.GUEST_WITH_PEERS) + 1; // ids 1..3 in core order
        int frozen = leader == 1 ? 2 : 1;
        int live = 3 - frozen;
        long from = peers.status(live).orElseThrow().path("stableCheckpointSeq").asLong();
        long target = from + QUORUM_CHECK_CHECKPOINTS * CHECKPOINT_SEQS;
        peers.freeze(frozen, true);
        long stable = from;
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUORUM_CHECK_MILLIS_MAX);
            while (stable < target && System.nanoTime() < deadline) {
                Thread.sleep(200);
                stable = peers.status(live).orElseThrow().path("stableCheckpointSeq").asLong();
            }
        } finally {
            peers.freeze(frozen, false);
        }
        System.out.println("with host replica " + frozen + " frozen, replica " + live + "'s stable checkpoint went from "
                + from + " to " + stable);
        assertTrue(stable >= target, "with host replica " + frozen + " frozen, replica " + live + "'s stable checkpoint "
                + "stayed at " + stable + " (from " + from + ", wanted " + target + "): the guest's checkpoint votes do not "
                + "match its peer's; last settled: " + load.settledPoints());
    }

    private static void awaitPuts(long count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (load.puts() < count && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(load.puts() >= count, "the cluster committed " + load.puts() + " puts, expected " + count);
    }

    private static void awaitJournal(long fromSeq, String type, String step) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            List<Map<String, Object>> j = journal();
            if (j.stream().skip(fromSeq).anyMatch(b -> type.equals(b.get("type")) && step.equals(b.get("step")))) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + type + " " + step + " in the journal within 60 s");
    }

    private static void awaitAlerts(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (fx.alerts.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(fx.alerts.size() >= count, "the webhook got " + fx.alerts.size() + " alerts, expected " + count);
    }
}
