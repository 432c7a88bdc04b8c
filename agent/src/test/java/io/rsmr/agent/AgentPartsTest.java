package io.rsmr.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.agent.rejuvenation.DomainXml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentPartsTest {
    @TempDir
    Path dir;

    @Test
    void settingsWithATypoOrBadValuesAreRefusedNamingTheField() throws IOException {
        Path f = dir.resolve("agent.yaml");
        Files.writeString(f, "host: h1\nsigningKey: k\nstateDir: s\nconfigDiskTool: t\nmetricPort: 9100\n");
        IOException typo = assertThrows(IOException.class, () -> AgentSettings.load(f));
        assertTrue(typo.getMessage().contains("unknown field 'metricPort'"), typo.getMessage());
        Files.writeString(f, "host: h1\nsigningKey: k\nstateDir: s\nconfigDiskTool: t\ndomainMemoryMib: 1024\n");
        IOException memory = assertThrows(IOException.class, () -> AgentSettings.load(f));
        assertTrue(memory.getMessage().contains("domainMemoryMib: 64..256"), memory.getMessage());
        Files.writeString(f, "host: h1\nsigningKey: keys/k\nstateDir: /var/lib/x\nconfigDiskTool: t\n");
        AgentSettings s = AgentSettings.load(f);
        assertEquals(dir.resolve("keys/k"), s.signingKey(), "relative to the settings file");
        assertEquals(Path.of("/var/lib/x"), s.stateDir());
        assertEquals("recovered", s.recoveredEvent());
    }

    @Test
    void theDomainTemplateIsFilledCompletelyAndEscaped() {
        Map<String, String> v = new HashMap<>();
        for (String p : List.of("NAME", "DOMAIN_TYPE", "MEMORY_MIB", "KERNEL", "INITRD", "CMDLINE", "ROOT_OVERLAY",
                "ROOT_GOLDEN", "DATA_DISK", "CONFIG_DISK", "SMW_SOCKET", "BRIDGE", "MAC", "CONSOLE_LOG")) {
            v.put(p, "v-" + p);
        }
        v.put("CMDLINE", "console=ttyS0 a<b");
        v.put("FEATURES", "<tcg><tb-cache unit='MiB'>64</tb-cache></tcg>");
        String xml = DomainXml.fill(v);
        String body = xml.substring(xml.indexOf("<domain type="));
        assertFalse(body.matches("(?s).*@[A-Z_]+@.*"), "no placeholder left");
        assertTrue(body.contains("<cmdline>console=ttyS0 a&lt;b</cmdline>"));
        assertTrue(body.contains("<tb-cache unit='MiB'>64</tb-cache>"));
        v.remove("MAC");
        assertThrows(IllegalArgumentException.class, () -> DomainXml.fill(v));
    }

    @Test
    void theTscFrequencyComesFromCpuinfo() {
        assertEquals(2_999_998, HostFacts.tscKhz(List.of("processor\t: 0", "cpu MHz\t\t: 2999.998", "cpu MHz : 1")));
        assertThrows(IllegalStateException.class, () -> HostFacts.tscKhz(List.of("processor\t: 0")));
    }
}
