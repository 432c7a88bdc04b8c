package io.rsmr.agent.rejuvenation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.libvirt.DomainState;
import io.rsmr.agent.libvirt.FakeHypervisor;
import io.rsmr.common.config.DomainType;
import io.rsmr.common.config.HostPort;
import io.rsmr.common.config.ReplicaSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hypervisor side of the steps, on the fake; the rest runs on real libvirt in the VM tests. */
class HostStepsTest {
    @TempDir
    Path dir;

    private final ReplicaSpec replica = new ReplicaSpec(1, "h1", HostPort.parse("198.19.0.11:7100"),
            HostPort.parse("198.18.0.11:7001"), "qemu:///system", "rsmr-r1", DomainType.QEMU);

    private HostSteps steps(FakeHypervisor h) throws Exception {
        io.rsmr.agent.AgentSettings settings = new io.rsmr.agent.AgentSettings("h1", dir.resolve("k"), dir, dir.resolve("t"),
                256, 64, "rsmr-pay0", 24, 64, List.of("--id", "{replicaId}", "--epoch={epoch}"), List.of(), 0, "recovered");
        return new HostSteps(new HostSteps.Host("c", dir.resolve("cluster.yaml"), List.of(), settings, null, h, null, 2_600_000, null),
                replica, 9);
    }

    @Test
    void shutdownPowersOffOnlyThisReplicasDomain() throws Exception {
        FakeHypervisor h = new FakeHypervisor().running("rsmr-r1", "rsmr-r2");
        steps(h).run(Step.SHUTDOWN);
        assertEquals(DomainState.ABSENT, h.state("rsmr-r1"));
        assertEquals(DomainState.ACTIVE, h.state("rsmr-r2"));
    }

    @Test
    void anUnreachableHypervisorIsItsOwnFailSafeCause() throws Exception {
        FakeHypervisor h = new FakeHypervisor().running("rsmr-r1");
        h.unreachable(true);
        StepFailure f = assertThrows(StepFailure.class, () -> steps(h).run(Step.SHUTDOWN));
        assertEquals(FailSafeCause.HYPERVISOR_UNREACHABLE, f.failSafeCause());
        assertTrue(f.getMessage().contains("unreachable"), f.getMessage());
    }

    @Test
    void theReplicaArgumentsNameThisReplicaAndEpoch() throws Exception {
        assertEquals(List.of("--id", "1", "--epoch=9"), steps(new FakeHypervisor()).replicaArgs());
    }

    @Test
    void aNewDataDiskGetsAJournaledFileSystemAndAnExistingOneIsNeverTouched() throws Exception {
        HostSteps steps = steps(new FakeHypervisor());
        Path disk = ReplicaFiles.of(dir, 1).dataDisk();
        Files.createDirectories(disk.getParent());
        steps.ensureDataDisk();
        Process p = new ProcessBuilder("dumpe2fs", "-h", disk.toString()).redirectErrorStream(true).start();
        String header = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), header);
        assertTrue(header.contains("has_journal") && header.contains("rsmr-data"), header);
        assertEquals(64L << 20, Files.size(disk));

        byte[] junk = new byte[4096];
        Arrays.fill(junk, (byte) 0x5a);
        Files.write(disk, junk); // a replica's data (here: anything) stays as it is
        steps.ensureDataDisk();
        assertArrayEquals(junk, Files.readAllBytes(disk));
    }

    @Test
    void theMacAddressFollowsThePayloadAddress() {
        assertEquals("52:54:00:12:00:0b", HostSteps.macOf("198.18.0.11"));
        assertThrows(IllegalArgumentException.class, () -> HostSteps.macOf("fe80::1"));
    }
}
