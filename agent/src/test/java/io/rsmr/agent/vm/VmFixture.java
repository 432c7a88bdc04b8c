package io.rsmr.agent.vm;

import com.sun.net.httpserver.HttpServer;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.KeyFiles;
import io.rsmr.common.image.ImageException;
import io.rsmr.common.image.ImageManifest;
import io.rsmr.common.image.ImageVerifier;
import io.rsmr.common.image.ManifestSignature;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the VM tests run on: a copy of vm-images' golden files (and a read-only copy of them), an
 * operator key that signs the manifest, the agent key of host h1, a cluster config whose replica 1
 * (this host's only one) has a domain name unique to this run, agent settings, and a webhook
 * receiver. Everything lives under one folder in /var/tmp that is removed at the end; only the
 * domain this fixture names is ever destroyed.
 */
final class VmFixture {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final Path IMAGES = REPO.resolve("vm-images/out");
    static final List<String> GOLDEN = List.of("vmlinuz", "initramfs.img", "root.img");
    static final String URI = "qemu:///system";
    /** Hosts h1..h6 of the cluster config, one replica each; a test starts the agents it needs. */
    static final int HOSTS = 6;

    final Path dir;
    final Path golden;
    final Path readOnly;
    final Path stateDir;
    /** The replica id of the guest the single-VM tests rejuvenate (host h1's replica). */
    final int guest;
    final String domain;
    final Ed25519Keys.SigningKey operator = Ed25519Keys.generate(new SecureRandom());
    final Ed25519Keys.SigningKey agentKey = Ed25519Keys.generate(new SecureRandom());
    final List<Received> alerts = Collections.synchronizedList(new ArrayList<>());
    private final HttpServer webhook;

    /** One alert as the webhook got it. */
    record Received(Instant at, String body) {
    }

    VmFixture() throws IOException, InterruptedException {
        this(1);
    }

    VmFixture(int guest) throws IOException, InterruptedException {
        requireEnvironment();
        this.guest = guest;
        dir = Files.createTempDirectory(Path.of("/var/tmp"), "rsmr-agent-vmtest-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        golden = Files.createDirectories(dir.resolve("golden"));
        readOnly = Files.createDirectories(dir.resolve("golden-ro"));
        stateDir = dir.resolve("state");
        domain = domain(guest);
        for (String f : GOLDEN) {
            Files.copy(IMAGES.resolve(f), golden.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(IMAGES.resolve(f), readOnly.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.copy(IMAGES.resolve("manifest.json"), golden.resolve("manifest.json"));
        requireCopiesMatchManifest();
        signManifest(operator);
        Path keys = Files.createDirectories(dir.resolve("keys"));
        KeyFiles.writePublicKey(keys.resolve("operator.pub"), operator.publicKey());
        for (int h = 1; h <= HOSTS; h++) {
            Ed25519Keys.SigningKey k = h == 1 ? agentKey : Ed25519Keys.generate(new SecureRandom());
            KeyFiles.writeSigningKey(keys.resolve("agent-h" + h + ".key"), k);
            KeyFiles.writePublicKey(keys.resolve("agent-h" + h + ".pub"), k.publicKey());
        }
        webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        webhook.createContext("/alerts", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                alerts.add(new Received(Instant.now(), new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                exchange.sendResponseHeaders(204, -1);
            }
        });
        webhook.start();
    }

    /** vm-images/out may be in the middle of a rebuild: then the copies do not match and the test says so. */
    private void requireCopiesMatchManifest() throws IOException, InterruptedException {
        try {
            ImageManifest m = ImageManifest.read(golden.resolve("manifest.json"));
            for (String f : GOLDEN) {
                ImageVerifier.FileCheck c = ImageVerifier.check(m.file(f).orElseThrow(), golden.resolve(f));
                if (!c.ok()) {
                    throw new IllegalStateException(IMAGES + " is inconsistent (" + f + ": " + c.detail()
                            + "); was vm-images/build.sh running? Build it, then rerun.");
                }
            }
        } catch (ImageException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** VM tests never skip: a missing prerequisite fails them, saying what to do. */
    private static void requireEnvironment() throws IOException, InterruptedException {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("the VM tests need root (libvirt qemu:///system); run agent/test-vm.sh as root");
        }
        for (String f : List.of("vmlinuz", "initramfs.img", "root.img", "manifest.json")) {
            if (!Files.isRegularFile(IMAGES.resolve(f))) {
                throw new IllegalStateException(IMAGES.resolve(f) + " is missing: build the image with vm-images/build.sh");
            }
        }
        Process p = new ProcessBuilder("virsh", "-c", URI, "version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("libvirt does not answer on " + URI + " (start it with scripts/libvirt-up.sh): " + out);
        }
    }

    void signManifest(Ed25519Keys.SigningKey key) throws IOException {
        byte[] manifest = Files.readAllBytes(golden.resolve("manifest.json"));
        ManifestSignature.sign(key, manifest).write(golden.resolve("manifest.json.sig"));
    }

    /** This run's domain name of replica i (only the domains a test starts ever exist). */
    static String domain(int replica) {
        return "rsmr-agentvm-" + ProcessHandle.current().pid() + "-r" + replica;
    }

    /** A cluster config: replica 1 on h1 (this host), five more on other hosts that are never started. */
    Path clusterConfig(String name, String transfer, List<String> failSafeActions) throws IOException {
        // Generous boot bound: the tests check behaviour, and TCG guests on a loaded 2-core machine are slow.
        return clusterConfig(name, HOSTS, "{k: 1, kPrime: 1}", "  epoch: 2026-01-01T00:00:00Z\n  tp: 30m\n  td: 20m\n"
                + "  shutdown: 5s\n  checkCode: 5s\n  restoreCode: 10s\n  boot: 60s\n  transfer: " + transfer + "\n"
                + "  exhaust: {1: 30m, 2: 1h, 3: 4h}\n", failSafeActions);
    }

    /**
     * A cluster config of replicas 1..n on hosts h1..hn (agent i at 127.0.0.1:710i), with the given
     * faults and the lines of its timing section.
     */
    Path clusterConfig(String name, int n, String faults, String timing, List<String> failSafeActions) throws IOException {
        StringBuilder y = new StringBuilder();
        y.append("cluster: agentvm\nfaults: ").append(faults).append("\ntiming:\n").append(timing).append("replicas:\n");
        for (int i = 1; i <= n; i++) {
            y.append("  - {id: ").append(i).append(", host: h").append(i).append(", managementAddress: \"127.0.0.1:")
                    .append(7100 + i).append("\", payloadAddress: \"198.18.0.").append(70 + i).append(":7001\", ")
                    .append("libvirtUri: \"").append(URI).append("\", domain: ").append(domain(i))
                    .append(", domainType: qemu}\n");
        }
        return write(name, y + commonSections(n, failSafeActions));
    }

    /** failSafe, images and keys of a cluster config of hosts h1..hn. */
    private String commonSections(int n, List<String> failSafeActions) {
        StringBuilder y = new StringBuilder();
        y.append("failSafe:\n  actions: ").append(failSafeActions).append("\n  alertWebhooks: [\"http://127.0.0.1:")
                .append(webhook.getAddress().getPort()).append("/alerts\"]\n");
        y.append("images:\n  kernel: golden/vmlinuz\n  initramfs: golden/initramfs.img\n  root: golden/root.img\n");
        y.append("  manifest: golden/manifest.json\n  signature: golden/manifest.json.sig\n  readOnlyCopy: golden-ro\n");
        y.append("keys:\n  operatorPublicKey: keys/operator.pub\n  agentPublicKeys:\n");
        for (int h = 1; h <= n; h++) {
            y.append("    h").append(h).append(": keys/agent-h").append(h).append(".pub\n");
        }
        return y.toString();
    }

    /**
     * The replicas of a cluster with host peers (k = 1, k' = 0, the smallest one the plan allows):
     * replicas 1 and 2 run on this machine as processes ({@link HostReplicas}) for hosts h2 and h3,
     * at 198.18.0.2 and .3 on the payload bridge; replica 3 is host h1's guest at 198.18.0.73. The
     * guest is not the leader of view 0, so the cluster commits while it is down from the start.
     */
    static final Map<Integer, HostReplicas.HostPeer> HOST_PEERS = Map.of(
            1, new HostReplicas.HostPeer("h2", "198.18.0.2"), 2, new HostReplicas.HostPeer("h3", "198.18.0.3"));
    static final int GUEST_WITH_PEERS = 3;

    /** The cluster config of {@link #HOST_PEERS} and guest {@link #GUEST_WITH_PEERS}, with the given transfer bound. */
    Path clusterConfigWithHostPeers(String name, String transfer, List<String> failSafeActions) throws IOException {
        StringBuilder y = new StringBuilder();
        y.append("cluster: agentvm\nfaults: {k: 1, kPrime: 0}\ntiming:\n  epoch: 2026-01-01T00:00:00Z\n  tp: 30m\n  td: 20m\n")
                .append("  shutdown: 5s\n  checkCode: 5s\n  restoreCode: 10s\n  boot: 60s\n  transfer: ").append(transfer)
                .append("\n  exhaust: {1: 1h, 2: 4h}\nreplicas:\n");
        for (int id = 1; id <= GUEST_WITH_PEERS; id++) {
            HostReplicas.HostPeer peer = HOST_PEERS.get(id);
            String host = peer == null ? "h1" : peer.host();
            String address = peer == null ? "198.18.0." + (70 + id) : peer.address();
            y.append("  - {id: ").append(id).append(", host: ").append(host).append(", managementAddress: \"127.0.0.1:")
                    .append(7100 + id).append("\", payloadAddress: \"").append(address).append(":7001\", libvirtUri: \"")
                    .append(URI).append("\", domain: ").append(domain(id)).append(", domainType: qemu}\n");
        }
        return write(name, y + commonSections(GUEST_WITH_PEERS, failSafeActions));
    }

    /** Agent settings of host h1 that boot the real replica, which reports "recovered" itself. */
    Path replicaSettings(String name) throws IOException {
        return write(name, "host: h1\nsigningKey: keys/agent-h1.key\nstateDir: state\n"
                + "configDiskTool: " + REPO.resolve("vm-images/make-config-disk.sh") + "\n"
                + "replicaArgs: [--config, /config/cluster.yaml, --id, \"{replicaId}\", --identity, /config/replica.identity,"
                + " --data-dir, /data]\nrecoveredEvent: recovered\n");
    }

    /** Agent settings of host h1; the replica's "recovered" line is {@code recoveredEvent}. */
    Path settings(String name, String recoveredEvent) throws IOException {
        return settings(name, 1, "state", recoveredEvent);
    }

    /** Agent settings of host h{@code host}, with its own state folder. */
    Path settings(String name, int host, String state, String recoveredEvent) throws IOException {
        return write(name, "host: h" + host + "\nsigningKey: keys/agent-h" + host + ".key\nstateDir: " + state + "\n"
                + "configDiskTool: " + REPO.resolve("vm-images/make-config-disk.sh") + "\n"
                + "replicaArgs: [\"--help\"]\nrecoveredEvent: " + recoveredEvent + "\n");
    }

    Path write(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    /** Runs a host command; returns its exit status (output to the test's log). */
    static int run(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).inheritIO().start().waitFor();
    }

    /** Destroys this run's domains (only them) and removes the folder (kept with RSMR_KEEP_VMTEST=1). */
    void close() throws IOException, InterruptedException {
        webhook.stop(0);
        for (int i = 1; i <= HOSTS; i++) {
            // Most tests start only replica 1's domain: the others' "no such domain" is no news.
            new ProcessBuilder("virsh", "-c", URI, "destroy", domain(i)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
        if (System.getenv("RSMR_KEEP_VMTEST") == null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
