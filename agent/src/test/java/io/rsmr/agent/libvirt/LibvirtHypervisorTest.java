package io.rsmr.agent.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;

/** The libvirt adapter against libvirt's own test driver (test:///default): real libvirt, no VMs. */
class LibvirtHypervisorTest {
    private static final String TEST_URI = "test:///default";

    private final List<Connect> opened = new ArrayList<>();
    private final LibvirtHypervisor hypervisor = new LibvirtHypervisor(TEST_URI, uri -> {
        Connect c = new Connect(uri);
        opened.add(c);
        return c;
    });

    @AfterEach
    void close() {
        hypervisor.close();
    }

    private static String domainXml(String name) {
        return "<domain type='test'><name>" + name + "</name><memory unit='MiB'>64</memory>"
                + "<os><type arch='x86_64'>hvm</type></os></domain>";
    }

    @Test
    void createStateDestroyOfATransientDomain() throws HypervisorException {
        assertEquals(DomainState.ABSENT, hypervisor.state("rsmr-t1"));
        hypervisor.create(domainXml("rsmr-t1"));
        assertEquals(DomainState.ACTIVE, hypervisor.state("rsmr-t1"));
        hypervisor.destroy("rsmr-t1");
        assertEquals(DomainState.ABSENT, hypervisor.state("rsmr-t1"), "a destroyed transient domain is gone");
    }

    @Test
    void destroyingAnAbsentDomainIsNotAnError() throws HypervisorException {
        hypervisor.destroy("rsmr-never-existed");
        assertTrue(hypervisor.state("rsmr-never-existed").isOff());
    }

    @Test
    void destroyTouchesOnlyTheNamedDomain() throws HypervisorException {
        hypervisor.create(domainXml("rsmr-t2"));
        hypervisor.create(domainXml("rsmr-t3"));
        hypervisor.destroy("rsmr-t2");
        assertEquals(DomainState.ABSENT, hypervisor.state("rsmr-t2"));
        assertEquals(DomainState.ACTIVE, hypervisor.state("rsmr-t3"));
        assertEquals(DomainState.ACTIVE, hypervisor.state("test"), "the test driver's own domain stays up");
        hypervisor.destroy("rsmr-t3");
    }

    @Test
    void aRefusedDefinitionIsAnErrorButNotUnreachable() {
        HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.create("<domain>"));
        assertFalse(e.unreachable(), e.getMessage());
    }

    @Test
    void aLostConnectionIsReopenedOnTheNextCall() throws Exception {
        hypervisor.create(domainXml("rsmr-t4"));
        assertEquals(1, opened.size());
        opened.get(0).close();
        // The test driver's state lives as long as a connection to it: the new one starts fresh.
        assertEquals(DomainState.ABSENT, hypervisor.state("rsmr-t4"));
        assertEquals(2, opened.size(), "one new connection");
        assertEquals(DomainState.ACTIVE, hypervisor.state("test"));
    }

    @Test
    void anUnreachableLibvirtIsReportedAsSuch() {
        try (LibvirtHypervisor h = new LibvirtHypervisor("qemu+unix:///system?socket=/nonexistent/libvirt-sock")) {
            HypervisorException e = assertThrows(HypervisorException.class, () -> h.state("rsmr-r1"));
            assertTrue(e.unreachable(), e.getMessage());
            assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
        }
    }
}
