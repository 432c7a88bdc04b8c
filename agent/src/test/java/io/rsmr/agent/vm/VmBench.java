package io.rsmr.agent.vm;

import io.rsmr.agent.journal.Journal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The VM fixture for benchmarks: the same guest, golden store, agent, host peers and client load
 * as the VM tests, so that a rejuvenation ends at the real replica's recovery from its peers.
 */
public final class VmBench {
    public static final Path REPO = VmFixture.REPO;
    private final VmFixture fx;
    private final Path config;
    private final Path settings;
    private final HostReplicas peers;
    private final LoadDriver load;
    private boolean closed;

    private VmBench(VmFixture fx, Path config, Path settings, HostReplicas peers, LoadDriver load) {
        this.fx = fx;
        this.config = config;
        this.settings = settings;
        this.peers = peers;
        this.load = load;
    }

    public static VmBench start() throws Exception {
        VmFixture fx = new VmFixture(VmFixture.GUEST_WITH_PEERS);
        Path config = fx.clusterConfigWithHostPeers("cluster.yaml", "120s", List.of("alert"));
        HostReplicas peers = HostReplicas.start(fx, config, VmFixture.HOST_PEERS);
        return new VmBench(fx, config, fx.replicaSettings("agent.yaml"), peers, LoadDriver.start(config, peers));
    }

    /** The replica id of the guest this host's agent rejuvenates. */
    public int guest() {
        return fx.guest;
    }

    /** The journal's last {@code replica-recovered} record: what the replica said it recovered to. */
    public Map<String, Object> lastRecovered() throws IOException {
        return new Journal(fx.stateDir.resolve("journal.jsonl"), fx.agentKey, Clock.systemUTC()).bodies().stream()
                .filter(b -> "replica-recovered".equals(b.get("type"))).reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException("no replica-recovered record"));
    }

    /** Puts the client load committed so far, and what went wrong with it. */
    public String loadSummary() {
        return load.puts() + " puts, failures: " + load.failures();
    }

    public Path config() {
        return config;
    }

    public Path settings() {
        return settings;
    }

    public Path dir() {
        return fx.dir;
    }

    public Path goldenRoot() {
        return fx.golden.resolve("root.img");
    }

    /** Powers the guest off: a TCG guest burns a host core, which would slow the limits measured next. */
    public void stopGuest() throws IOException, InterruptedException {
        VmFixture.run("virsh", "-c", VmFixture.URI, "destroy", fx.domain);
    }

    /** Stops the load, the host peers and the guest and removes the fixture; again: nothing. */
    public void close() throws IOException, InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        load.close();
        peers.close();
        fx.close();
    }

    /** Machine, commit and date, for the bench file. */
    public static String machine() throws IOException, InterruptedException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
        String mem = Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " ");
        return "Machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + mem
                + ", guests under TCG (no usable KVM), Java " + System.getProperty("java.version") + ".\n"
                + "Commit: " + output("git", "-C", REPO.toString(), "rev-parse", "--short", "HEAD")
                + ", date: " + output("date", "-u", "+%Y-%m-%d %H:%M UTC") + ".\n";
    }

    private static String output(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        return out;
    }
}
