package io.rsmr.agent.rejuvenation;

import com.fasterxml.jackson.databind.JsonNode;
import io.rsmr.agent.AgentSettings;
import io.rsmr.agent.Events;
import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.libvirt.Hypervisor;
import io.rsmr.agent.libvirt.HypervisorException;
import io.rsmr.common.config.DomainType;
import io.rsmr.common.config.ReplicaSpec;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.EpochIdentity;
import io.rsmr.common.crypto.KeyFiles;
import io.rsmr.common.image.ImageManifest;
import io.rsmr.common.image.ImageVerifier.FileCheck;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The I/O of Algorithm 1 for one replica VM on this host, through libvirt, qemu-img and the config
 * disk maker. One instance per rejuvenation: it carries the verified manifest and the corrupt
 * files from the checks to the restores, and the virtio-serial connection from boot to transfer.
 */
public final class HostSteps implements StepRunner {
    /** How often a destroyed domain is polled until libvirt reports it off. */
    static final long OFF_POLL_MILLIS = 10;
    static final String CONFIG_FORMAT = "rsmr-config 1";
    /** The file system label the guest init gives a data disk it formats itself. */
    static final String DATA_LABEL = "rsmr-data";

    /**
     * Everything the steps need that does not change between rejuvenations.
     *
     * @param configKeyFiles the public keys the cluster config names (operator, agents), all in the
     *                       config file's folder: they go on the config disk at the same relative
     *                       paths, so that the replica's copy of the config finds them
     */
    public record Host(String clusterName, Path clusterConfigFile, List<Path> configKeyFiles, AgentSettings settings,
                       Ed25519Keys.SigningKey agentKey, Hypervisor hypervisor, GoldenStore golden, long tscKhz, Events events) {
        public Host {
            configKeyFiles = List.copyOf(configKeyFiles);
        }
    }

    private final Host host;
    private final ReplicaSpec replica;
    private final long epoch;
    private final ReplicaFiles files;
    private ImageManifest manifest;
    private List<FileCheck> corrupt = List.of();
    private SerialChannel serial;

    public HostSteps(Host host, ReplicaSpec replica, long epoch) {
        this.host = host;
        this.replica = replica;
        this.epoch = epoch;
        this.files = ReplicaFiles.of(host.settings().stateDir(), replica.id());
    }

    @Override
    public void run(Step step) throws StepFailure, InterruptedException {
        switch (step) {
            case SHUTDOWN -> shutdown();
            case CHECK_OS_CODE -> {
                manifest = host.golden().manifest();
                corrupt = host.golden().check(manifest, host.golden().osCode());
            }
            case RESTORE_OS_CODE, RESTORE_SM_CODE -> restoreCorrupt();
            case CHECK_SM_CODE -> corrupt = host.golden().check(manifest, host.golden().smCode());
            case BOOT -> boot();
            case TRANSFER -> awaitRecovered();
        }
        if (step == Step.RESTORE_SM_CODE) {
            resetOverlay();
            writeConfigDisk();
        }
    }

    private void shutdown() throws StepFailure, InterruptedException {
        try {
            host.hypervisor().destroy(replica.domain());
            while (!host.hypervisor().state(replica.domain()).isOff()) {
                Thread.sleep(OFF_POLL_MILLIS);
            }
        } catch (HypervisorException e) {
            throw hypervisorFailure(e);
        }
    }

    private void restoreCorrupt() throws StepFailure, InterruptedException {
        for (FileCheck c : corrupt) {
            host.events().record("golden-file-corrupt", Map.of("replica", replica.id(), "epoch", epoch,
                    "file", c.path().toString(), "status", c.status().name(), "detail", c.detail()));
            host.golden().restore(manifest, c.path());
            host.events().record("golden-file-restored", Map.of("replica", replica.id(), "epoch", epoch,
                    "file", c.path().toString()));
        }
        corrupt = List.of();
    }

    /** The revert to the read-only snapshot: a new, empty qcow2 overlay over the golden root. */
    private void resetOverlay() throws StepFailure, InterruptedException {
        try {
            Files.createDirectories(files.dir());
            Files.deleteIfExists(files.rootOverlay());
        } catch (IOException e) {
            throw new StepFailure(FailSafeCause.STEP_FAILED, "cannot remove the old overlay " + files.rootOverlay() + ": " + e, e);
        }
        Processes.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", host.golden().images().root().toAbsolutePath().toString(),
                "-F", "raw", files.rootOverlay().toString()), files.dir().resolve("qemu-img.out"));
    }

    /** A fresh key pair for the new epoch, certified by the agent, on a new read-only config disk. */
    private void writeConfigDisk() throws StepFailure, InterruptedException {
        Path staging = files.configStaging();
        try {
            deleteTree(staging);
            Files.createDirectories(staging, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            write(staging, "format", CONFIG_FORMAT);
            write(staging, "replica-id", Integer.toString(replica.id()));
            write(staging, "epoch", Long.toString(epoch));
            write(staging, "payload-address", replica.payloadAddress().host() + "/" + host.settings().payloadPrefixLength());
            write(staging, "replica-args", String.join("\n", replicaArgs()));
            if (!host.settings().jvmOptions().isEmpty()) {
                write(staging, "jvm-options", String.join("\n", host.settings().jvmOptions()));
            }
            Files.copy(host.clusterConfigFile(), staging.resolve("cluster.yaml"), StandardCopyOption.REPLACE_EXISTING);
            copyConfigKeys(staging);
            EpochIdentity identity = EpochIdentity.issue(host.agentKey(), Ed25519Keys.generate(new SecureRandom()),
                    host.clusterName(), replica.id(), epoch);
            KeyFiles.writeIdentity(staging.resolve("replica.identity"), identity);
        } catch (IOException e) {
            throw new StepFailure(FailSafeCause.STEP_FAILED, "cannot stage the config disk in " + staging + ": " + e, e);
        }
        Processes.run(List.of(host.settings().configDiskTool().toString(), staging.toString(), files.configDisk().toString()),
                files.dir().resolve("config-disk.out"));
    }

    /** The keys the config names, at the same paths relative to the config as on this host. */
    private void copyConfigKeys(Path staging) throws IOException {
        Path base = host.clusterConfigFile().toAbsolutePath().getParent();
        for (Path key : host.configKeyFiles()) {
            Path relative = base.relativize(key.toAbsolutePath().normalize());
            assert !relative.startsWith("..") : "checked at start: " + key + " is outside " + base;
            Path target = staging.resolve(relative);
            Files.createDirectories(target.getParent());
            Files.copy(key, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The settings' replica arguments with {@code {replicaId}} and {@code {epoch}} filled in. */
    List<String> replicaArgs() {
        return host.settings().replicaArgs().stream()
                .map(a -> a.replace("{replicaId}", Integer.toString(replica.id())).replace("{epoch}", Long.toString(epoch)))
                .toList();
    }

    private void boot() throws StepFailure, InterruptedException {
        try {
            ensureDataDisk();
            Files.write(files.consoleLog(), new byte[0]); // libvirt appends to a file console
            String xml = domainXml();
            Files.writeString(files.dir().resolve("domain.xml"), xml); // what was booted, for the operator
            host.hypervisor().create(xml);
        } catch (IOException e) {
            throw new StepFailure(FailSafeCause.STEP_FAILED, "cannot prepare the disks of " + replica.domain() + ": " + e, e);
        } catch (HypervisorException e) {
            throw hypervisorFailure(e);
        }
        serial = SerialChannel.connect(files.serialSocket());
        host.events().log().info("guest-channel-connected", Map.of("replica", replica.id(), "epoch", epoch));
        JsonNode first = readEvent();
        String event = first.path("event").asText();
        if (!event.equals("guest-up") || first.path("replicaId").asInt(-1) != replica.id()
                || first.path("epoch").asLong(-1) != epoch) {
            throw new StepFailure(FailSafeCause.STEP_FAILED, "expected guest-up of replica " + replica.id() + " in epoch "
                    + epoch + " as the guest's first line, got " + first);
        }
    }

    private void awaitRecovered() throws StepFailure, InterruptedException {
        String wanted = host.settings().recoveredEvent();
        while (true) {
            JsonNode e = readEvent();
            String event = e.path("event").asText();
            if (event.equals("guest-error")) {
                throw new StepFailure(FailSafeCause.STEP_FAILED, "the guest reported an error: " + e);
            }
            if (event.equals(wanted) && matchesThisRun(e)) {
                recordRecovered(e);
                return;
            }
        }
    }

    /**
     * The state the replica says it recovered to (its checkpoint and state digest, as it reports
     * them) goes into the journal: what an auditor compares with the other replicas'.
     */
    private void recordRecovered(JsonNode line) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("replica", replica.id());
        event.put("epoch", epoch);
        line.fields().forEachRemaining(f -> {
            JsonNode v = f.getValue();
            if (!List.of("event", "replicaId", "epoch").contains(f.getKey())) {
                event.put(f.getKey(), v.isNumber() ? v.numberValue() : v.isTextual() ? v.asText() : v.toString());
            }
        });
        host.events().record("replica-recovered", event);
    }

    /** A line may name its replica and epoch; if it does, they must be this run's. */
    private boolean matchesThisRun(JsonNode e) {
        return (!e.has("replicaId") || e.path("replicaId").asInt(-1) == replica.id())
                && (!e.has("epoch") || e.path("epoch").asLong(-1) == epoch);
    }

    private JsonNode readEvent() throws StepFailure, InterruptedException {
        try {
            JsonNode e = serial.readEvent();
            host.events().log().info("guest-line", Map.of("replica", replica.id(), "epoch", epoch, "line", e));
            return e;
        } catch (IOException e) {
            if (Thread.interrupted()) {
                throw new InterruptedException("reading the guest's channel");
            }
            throw new StepFailure(FailSafeCause.STEP_FAILED, "virtio-serial channel of " + replica.domain() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A replica's first boot gets a new data disk with an ext4 file system (with a journal: the
     * guest is powered off hard at every rejuvenation, and a journal-less file system loses its
     * recent metadata then, e.g. the replica's note that it ran before). An existing data disk is
     * never touched: it holds the replica's state, which the replica checks against its peers.
     */
    void ensureDataDisk() throws IOException, StepFailure, InterruptedException {
        if (Files.exists(files.dataDisk())) {
            return;
        }
        Path fresh = files.dir().resolve("data.img.new");
        try (RandomAccessFile f = new RandomAccessFile(fresh.toFile(), "rw")) {
            f.setLength((long) host.settings().dataDiskMib() << 20); // sparse
        }
        Processes.run(List.of("mke2fs", "-q", "-F", "-t", "ext4", "-L", DATA_LABEL, fresh.toString()),
                files.dir().resolve("mke2fs.out"));
        Files.move(fresh, files.dataDisk(), StandardCopyOption.ATOMIC_MOVE);
    }

    String domainXml() {
        AgentSettings s = host.settings();
        return DomainXml.fill(Map.ofEntries(
                Map.entry("NAME", replica.domain()),
                Map.entry("DOMAIN_TYPE", replica.domainType().libvirtName()),
                Map.entry("MEMORY_MIB", Integer.toString(s.domainMemoryMib())),
                Map.entry("KERNEL", host.golden().images().kernel().toAbsolutePath().toString()),
                Map.entry("INITRD", host.golden().images().initramfs().toAbsolutePath().toString()),
                Map.entry("CMDLINE", manifest.kernelCmdline() + " tsc_early_khz=" + host.tscKhz()),
                Map.entry("ROOT_OVERLAY", files.rootOverlay().toAbsolutePath().toString()),
                Map.entry("ROOT_GOLDEN", host.golden().images().root().toAbsolutePath().toString()),
                Map.entry("DATA_DISK", files.dataDisk().toAbsolutePath().toString()),
                Map.entry("CONFIG_DISK", files.configDisk().toAbsolutePath().toString()),
                Map.entry("SMW_SOCKET", files.serialSocket().toAbsolutePath().toString()),
                Map.entry("BRIDGE", s.payloadBridge()),
                Map.entry("MAC", macOf(replica.payloadAddress().host())),
                Map.entry("CONSOLE_LOG", files.consoleLog().toAbsolutePath().toString()),
                Map.entry("FEATURES", replica.domainType() == DomainType.QEMU
                        ? "<tcg><tb-cache unit='MiB'>" + s.tcgCodeCacheMib() + "</tb-cache></tcg>" : "")));
    }

    /** A locally administered MAC unique per payload address: 52:54:00 and the address's last three bytes. */
    static String macOf(String ipv4) {
        String[] b = ipv4.split("\\.");
        if (b.length != 4) {
            throw new IllegalArgumentException("payload address " + ipv4 + " is not IPv4");
        }
        return String.format("52:54:00:%02x:%02x:%02x", Integer.parseInt(b[1]), Integer.parseInt(b[2]), Integer.parseInt(b[3]));
    }

    private StepFailure hypervisorFailure(HypervisorException e) {
        return new StepFailure(e.unreachable() ? FailSafeCause.HYPERVISOR_UNREACHABLE : FailSafeCause.STEP_FAILED,
                e.getMessage(), e);
    }

    private static void write(Path dir, String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content + "\n", StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(walk.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.delete(p);
            }
        }
    }

    @Override
    public void close() {
        if (serial != null) {
            serial.close();
        }
    }
}
