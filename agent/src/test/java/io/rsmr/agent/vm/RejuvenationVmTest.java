package io.rsmr.agent.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Algorithm 1 on real libvirt and QEMU (TCG here) with vm-images' guest, one guest for all tests.
 * Until the replica reports its recovery on the channel, "recovered" is the guest init's
 * {@code replica-exited} line: the replica jar, run with an argument it refuses, exits at once and
 * the init reports it; so the transfer step measures the replica's start, not a state transfer.
 */
@Tag("vm")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RejuvenationVmTest {
    private static VmFixture fx;
    private static Path config;
    private static Path settings;

    @BeforeAll
    static void fixture() throws Exception {
        fx = new VmFixture();
        config = fx.clusterConfig("cluster.yaml", "60s", List.of("alert"));
        settings = fx.settings("agent.yaml", "replica-exited");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    static RejuvenationReport rejuvenate(Path configFile, Path settingsFile) throws Exception {
        try (Agent agent = Agent.start(configFile, settingsFile, System.out)) {
            RejuvenationReport r = agent.rejuvenate(1).orElseThrow();
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
        return fx.stateDir.resolve("replicas/r1/root.qcow2");
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
    }

    @Test
    @Order(2)
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

    @Test
    @Order(3)
    void aTamperedGoldenRootImageIsDetectedAndRestoredFromTheReadOnlyCopy() throws Exception {
        Path root = fx.golden.resolve("root.img");
        ImageManifest m = ImageManifest.read(fx.golden.resolve("manifest.json"));
        try (Agent agent = Agent.start(config, settings, System.out)) {
            try (RandomAccessFile f = new RandomAccessFile(root.toFile(), "rw")) {
                f.seek(4096);
                int b = f.read();
                f.seek(4096);
                f.write(b ^ 0x5a); // tampered while the agent runs
            }
            assertFalse(ImageVerifier.check(m.file("root.img").orElseThrow(), root).ok());
            RejuvenationReport r = agent.rejuvenate(1).orElseThrow();
            assertTrue(r.succeeded(), r.toString());
        }
        assertTrue(ImageVerifier.check(m.file("root.img").orElseThrow(), root).ok(), "restored");
        List<Map<String, Object>> j = journal();
        assertTrue(j.stream().anyMatch(b -> "golden-file-corrupt".equals(b.get("type")) && root.toString().equals(b.get("file"))
                && "WRONG_DIGEST".equals(b.get("status"))), "detected in check-sm-code and journaled");
        assertTrue(j.stream().anyMatch(b -> "golden-file-restored".equals(b.get("type")) && root.toString().equals(b.get("file"))));
    }

    @Test
    @Order(4)
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
    @Order(5)
    void aBadManifestSignatureStopsTheRejuvenationAndFiresTheFailSafe() throws Exception {
        int alertsBefore = fx.alerts.size();
        try (Agent agent = Agent.start(config, settings, System.out)) {
            fx.signManifest(Ed25519Keys.generate(new SecureRandom())); // replaced while the agent runs
            RejuvenationReport r = agent.rejuvenate(1).orElseThrow();
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
    @Order(6)
    void aGuestThatNeverReportsRecoveryFiresTheFailSafeWithinOneSecondOfTheBound() throws Exception {
        Duration transfer = Duration.ofSeconds(4);
        Path shortConfig = fx.clusterConfig("cluster-short.yaml", transfer.toSeconds() + "s", List.of("alert"));
        Path neverSettings = fx.settings("agent-never.yaml", "recovered"); // the guest never says it
        int alertsBefore = fx.alerts.size();
        RejuvenationReport r = rejuvenate(shortConfig, neverSettings);
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
    @Order(7)
    void killingTheAgentMidRejuvenationAndRestartingItCompletesTheRejuvenation() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", cp,
                "io.rsmr.agent.AgentMain", "rejuvenate", "-c", config.toString(), "-s", settings.toString(), "--replica", "1")
                .redirectErrorStream(true).redirectOutput(fx.dir.resolve("killed-agent.log").toFile()).start();
        long seqBefore = journal().size();
        awaitJournal(seqBefore, "step-started", "boot");
        agent.destroyForcibly(); // SIGKILL in the middle of bootOS
        assertTrue(agent.waitFor(10, TimeUnit.SECONDS));
        long interruptedEpoch = journal().stream().filter(b -> "rejuvenation-started".equals(b.get("type")))
                .map(b -> ((Number) b.get("epoch")).longValue()).reduce((a, b) -> b).orElseThrow();

        try (Agent restarted = Agent.start(config, settings, System.out)) {
            Map<Integer, RejuvenationReport> redone = restarted.finishInterrupted();
            assertTrue(redone.containsKey(1), "the interrupted rejuvenation of replica 1 was found in the journal");
            assertTrue(redone.get(1).succeeded(), redone.get(1).toString());
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
