package io.rsmr.common.config;

import static io.rsmr.common.config.ConfigFixtures.localYamlWith;
import static io.rsmr.common.config.ConfigFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClusterConfigLoaderTest {
    @Test
    void localExampleLoadsCompletely() throws Exception {
        ClusterConfig c = new ClusterConfigLoader().load(ConfigFixtures.EXAMPLES.resolve("cluster-local.yaml"));
        assertEquals("local", c.cluster());
        assertEquals(6, c.n());
        assertEquals(new Faults(1, 1), c.faults());
        assertEquals(Duration.ofMinutes(15), c.timing().tp());
        assertEquals(Duration.ofSeconds(77), c.timing().localExec());
        assertEquals(Duration.ofHours(1), c.timing().exhaust().get(2));
        ReplicaSpec r3 = c.replica(3).orElseThrow();
        assertEquals(new HostPort("198.18.0.13", 7001), r3.payloadAddress());
        assertEquals(new HostPort("198.19.0.13", 7100), r3.managementAddress());
        assertEquals(DomainType.QEMU, r3.domainType());
        assertEquals(List.of(FailSafeAction.ALERT, FailSafeAction.HALT_ROUNDS), c.failSafe().actions());
    }

    @Test
    void threeSitesExampleLoads() throws Exception {
        ClusterConfig c = new ClusterConfigLoader().load(ConfigFixtures.EXAMPLES.resolve("cluster-3sites.yaml"));
        assertEquals(7, c.n());
        assertEquals(DomainType.KVM, c.replicas().get(0).domainType());
        assertEquals(Path.of("/etc/rsmr/keys/agent-fra-hv2.pub"), c.keys().agentPublicKeys().get("fra-hv2"));
    }

    @Test
    void relativePathsResolveAgainstTheConfigFolder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub").resolve("cluster.yaml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, ConfigFixtures.localYaml());
        ClusterConfig c = new ClusterConfigLoader().load(file);
        assertEquals(dir.resolve("sub/keys/agent-h2.pub").toAbsolutePath(), c.keys().agentPublicKeys().get("h2"));
        assertEquals(dir.resolve("vm-images/out/root.img").toAbsolutePath().normalize(), c.images().root().normalize());
    }

    /** Each invalid field gives one error naming its line, its path and what is wrong. */
    @ParameterizedTest(name = "{3}")
    @CsvSource(delimiter = '|', textBlock = """
        kPrime: 1   # Byzantine   | kPrme: 1   # Byzantine    | 9  | faults.kPrme: unknown field 'kPrme'; did you mean 'kPrime'?
        shutdown: 2s              | shutdown: -2s             | 16 | timing.shutdown: -2s is negative
        boot: 15s                 | boot: 15                  | 19 | timing.boot: 15 has no unit
        boot: 15s                 | boot: 0s                  | 19 | timing.boot: 0s must be positive
        tp: 15m                   | tp: 10m                   | 13 | timing.tp: 10m must be greater than timing.td (10m)
        k: 1        # replicas    | k: -1       # replicas    | 8  | faults.k: -1 must be 0 or more
        k: 1        # replicas    | k: one      # replicas    | 8  | faults.k: 'one' is not a whole number
        cluster: local            | cluster: Local_1          | 5  | cluster: 'Local_1' must be 1-63 lower-case
        epoch: 2026-01-01T00:00:00Z | epoch: yesterday        | 12 | timing.epoch: 'yesterday' is not an instant
        3: 4h                     | 3: 45m                    | 25 | timing.exhaust.3: 45m is less than exhaust[2] (1h)
        2: 1h                     | two: 1h                   | 24 | timing.exhaust: key 'two' must be a whole number
        actions: [alert, halt-rounds] | actions: [alert, reboot] | 36 | failSafe.actions[1]: 'reboot' is not one of alert, shutdown, halt-rounds
        actions: [alert, halt-rounds] | actions: [alert, alert] | 36 | failSafe.actions[1]: alert is listed twice
        actions: [alert, halt-rounds] | actions: []           | 36 | failSafe.actions: list at least one of
        "http://198.19.0.1:9099/alerts" | "ftp://x/alerts"     | 37 | failSafe.alertWebhooks[0]: 'ftp://x/alerts' must be an http:// or https:// URL
        "198.18.0.12:7001"        | "198.18.0.11:7001"        | 29 | replicas[1].payloadAddress: payload address 198.18.0.11:7001 is already used by replicas[0]
        "198.18.0.12:7001"        | "198.18.0.12"             | 29 | replicas[1].payloadAddress: '198.18.0.12' is not host:port
        "198.18.0.12:7001"        | "198.18.0.12:70001"       | 29 | replicas[1].payloadAddress: port 70001 is outside 1..65535
        {id: 2,                   | {id: 1,                   | 29 | replicas[1].id: replica id 1 is already used by replicas[0]
        {id: 2,                   | {id: 9,                   | 29 | replicas[1].id: 9 must be in 1..6
        {id: 2,                   | {                         | 29 | replicas[1].id: missing
        domain: rsmr-r2,          | domain: "bad name",       | 29 | replicas[1].domain: 'bad name' is not a usable libvirt domain name
        "qemu:///system", domain: rsmr-r2 | "system", domain: rsmr-r2 | 29 | replicas[1].libvirtUri: 'system' has no scheme
        domain: rsmr-r3, domainType: qemu | domain: rsmr-r3, domainType: xen | 30 | replicas[2].domainType: 'xen' is not one of kvm, qemu
        h4: keys/agent-h4.pub     | h9: keys/agent-h4.pub     | 53 | keys.agentPublicKeys.h9: host h9 runs no replica in this cluster
        stateTransferMiBPerSecond: 100 | stateTransferMiBPerSecond: 0 | 58 | replication.stateTransferMiBPerSecond: 0 must be in 1..100000
        stateTransferMiBPerSecond: 100 | stateTransferMiBPerSecnd: 100 | 58 | replication.stateTransferMiBPerSecnd: unknown field
        """)
    void eachBadFieldIsNamedWithItsLine(String from, String to, int line, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(localYamlWith(from, to)));
        String all = e.getMessage();
        assertTrue(all.contains("cluster.yaml:" + line + ": " + expected), "expected line " + line + ": " + expected + "\nbut got:\n" + all);
    }

    @Test
    void everyErrorOfAFileIsReportedAtOnce() {
        String yaml = ConfigFixtures.replaceOnce(ConfigFixtures.replaceOnce(ConfigFixtures.replaceOnce(
                ConfigFixtures.localYaml(), "kPrime: 1 ", "kPrmie: 1 "), "shutdown: 2s", "shutdown: -2s"), "tp: 15m", "tp: 5m");
        ConfigException e = assertThrows(ConfigException.class, () -> parse(yaml));
        List<String> paths = e.errors().stream().map(ConfigError::path).toList();
        assertEquals(List.of("faults.kPrime", "faults.kPrmie", "timing.tp", "timing.shutdown"), paths, e.getMessage());
        assertEquals(List.of(7, 9, 13, 16), e.errors().stream().map(ConfigError::line).toList());
    }

    @Test
    void aMissingAgentKeyNamesTheHost() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse(localYamlWith("    h4: keys/agent-h4.pub\n", "")));
        assertTrue(e.getMessage().contains("keys.agentPublicKeys: no key for host h4"), e.getMessage());
    }

    @Test
    void replicasOfOneHostShareItsAgent() {
        String yaml = localYamlWith("host: h2, managementAddress: \"198.19.0.12:7100\"", "host: h1, managementAddress: \"198.19.0.19:7100\"");
        ConfigException e = assertThrows(ConfigException.class, () -> parse(yaml));
        assertTrue(e.getMessage().contains("replicas[1].managementAddress: 198.19.0.19:7100 differs from 198.19.0.11:7100 of replica 1 on the same host h1"),
                e.getMessage());
    }

    @Test
    void duplicateKeysAreRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(localYamlWith("  tp: 15m ", "  tp: 15m\n  tp: 20m ")));
        assertTrue(e.getMessage().contains("Duplicate field 'tp'"), e.getMessage());
    }

    @Test
    void yamlSyntaxErrorsNameTheLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("cluster: x\n  bad: : indent\n"));
        assertEquals(2, e.errors().get(0).line(), e.getMessage());
    }

    @Test
    void emptyAndMissingFilesAreErrors(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.yaml"), "");
        ConfigException e = assertThrows(ConfigException.class, () -> new ClusterConfigLoader().load(empty));
        assertTrue(e.getMessage().contains("the file is empty"), e.getMessage());
        Path missing = dir.resolve("nope.yaml");
        ConfigException e2 = assertThrows(ConfigException.class, () -> new ClusterConfigLoader().load(missing));
        assertEquals(missing + ": no such file", e2.getMessage());
    }

    @Test
    void everyMissingSectionIsNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("cluster: x\n"));
        List<String> paths = e.errors().stream().map(ConfigError::path).toList();
        assertEquals(List.of("faults", "timing", "replicas", "failSafe", "images", "keys"), paths, e.getMessage());
    }
}
