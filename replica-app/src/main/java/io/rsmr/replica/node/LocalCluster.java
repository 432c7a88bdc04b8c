package io.rsmr.replica.node;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.EpochIdentity;
import io.rsmr.common.crypto.KeyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster of replica processes on this machine's loopback, for tests, benchmarks and trying
 * rsmr out: it writes agent keys, a cluster config ({@code cluster.yaml}, ports chosen free) and
 * one epoch identity per replica into a folder, then starts, kills and restarts replica JVMs
 * ({@link ReplicaMain}) whose output goes to {@code replica-<id>.log} there.
 */
public final class LocalCluster implements AutoCloseable {
    /** Replica JVMs get this much time to exit on SIGTERM before they are killed. */
    private static final long STOP_MILLIS_MAX = 5_000;

    /**
     * @param jvmOptions options for every replica JVM, e.g. {@code -Xmx128m}
     * @param byzantine TEST ONLY modes by replica id
     * @param replicaArgs further {@link ReplicaMain} options for every replica, e.g. {@code --fsync none}
     * @param stateTransferMiBPerSecond the config's {@code replication.stateTransferMiBPerSecond}
     *        (0: the section is left out, so the default holds)
     */
    public record Spec(String clusterName, int n, int k, int kPrime, List<String> jvmOptions,
                       Map<Integer, ByzantineMode> byzantine, List<String> replicaArgs, int stateTransferMiBPerSecond) {
        public Spec {
            jvmOptions = List.copyOf(jvmOptions);
            byzantine = Map.copyOf(byzantine);
            replicaArgs = List.copyOf(replicaArgs);
        }

        public Spec(String clusterName, int n, int k, int kPrime, List<String> jvmOptions,
                    Map<Integer, ByzantineMode> byzantine) {
            this(clusterName, n, k, kPrime, jvmOptions, byzantine, List.of(), 0);
        }
    }

    /** The fields of a replica's {@code status.json} that tests compare. */
    public record Status(long view, long lastExecutedSeq, String stateDigest, String chainHash,
                         long stableCheckpointSeq, String stableCheckpointDigest, boolean recovering) {
    }

    private final Path dir;
    private final Spec spec;
    private final Map<Integer, Process> processes = new HashMap<>();

    private LocalCluster(Path dir, Spec spec) {
        this.dir = dir;
        this.spec = spec;
    }

    /** Writes the keys, config and identities of a new cluster into {@code dir}. */
    public static LocalCluster create(Path dir, Spec spec) throws IOException {
        Files.createDirectories(dir);
        SecureRandom random = new SecureRandom();
        List<Integer> ports = freePorts(2 * spec.n());
        StringBuilder replicas = new StringBuilder();
        StringBuilder agentKeys = new StringBuilder();
        for (int id = 1; id <= spec.n(); id++) {
            Ed25519Keys.SigningKey agentKey = Ed25519Keys.generate(random);
            KeyFiles.writeSigningKey(dir.resolve("agent-h" + id + ".key"), agentKey);
            KeyFiles.writePublicKey(dir.resolve("agent-h" + id + ".pub"), agentKey.publicKey());
            KeyFiles.writeIdentity(dir.resolve("replica-" + id + ".key"),
                    EpochIdentity.issue(agentKey, Ed25519Keys.generate(random), spec.clusterName(), id, 1));
            replicas.append(String.format("  - {id: %d, host: h%d, managementAddress: \"127.0.0.1:%d\","
                    + " payloadAddress: \"127.0.0.1:%d\", libvirtUri: \"test:///default\", domain: rsmr-r%d,"
                    + " domainType: qemu}%n", id, id, ports.get(spec.n() + id - 1), ports.get(id - 1), id));
            agentKeys.append(String.format("    h%d: agent-h%d.pub%n", id, id));
        }
        Ed25519Keys.SigningKey operatorKey = Ed25519Keys.generate(random);
        KeyFiles.writePublicKey(dir.resolve("operator.pub"), operatorKey.publicKey());
        Files.writeString(dir.resolve("cluster.yaml"), configYaml(spec, replicas, agentKeys), StandardCharsets.UTF_8);
        return new LocalCluster(dir, spec);
    }

    private static String configYaml(Spec spec, CharSequence replicas, CharSequence agentKeys) {
        return "# A local cluster on loopback, written by " + LocalCluster.class.getSimpleName() + ".\n"
                + "cluster: " + spec.clusterName() + "\n"
                + "faults: {k: " + spec.k() + ", kPrime: " + spec.kPrime() + "}\n"
                + "timing:\n  epoch: 2026-01-01T00:00:00Z\n  tp: 15m\n  td: 10m\n  shutdown: 2s\n  checkCode: 5s\n"
                + "  restoreCode: 10s\n  boot: 15s\n  transfer: 30s\n  exhaust: {1: 30m, 2: 1h, 3: 4h}\n"
                + "replicas:\n" + replicas
                + "failSafe:\n  actions: [alert]\n"
                + "images:\n  kernel: vmlinuz\n  initramfs: initramfs.img\n  root: root.img\n  manifest: manifest.json\n"
                + "  signature: manifest.json.sig\n  readOnlyCopy: golden-ro\n"
                + "keys:\n  operatorPublicKey: operator.pub\n  agentPublicKeys:\n" + agentKeys
                + (spec.stateTransferMiBPerSecond() > 0
                        ? "replication:\n  stateTransferMiBPerSecond: " + spec.stateTransferMiBPerSecond() + "\n" : "");
    }

    public Path configFile() {
        return dir.resolve("cluster.yaml");
    }

    public Path dataDir(int id) {
        return dir.resolve("data-" + id);
    }

    /** Where replica {@code id} writes its one-line JSON events for the agent. */
    public Path agentReport(int id) {
        return dir.resolve("agent-" + id + ".jsonl");
    }

    public Spec spec() {
        return spec;
    }

    /** Starts replica {@code id} (again, after a kill: same identity and data directory). */
    public void start(int id) throws IOException {
        start(id, 0);
    }

    /**
     * Starts replica {@code id} at a lower CPU priority ({@code nice -n niceness}, 0: as this
     * process): on one machine, a stand-in for a replica whose host's cores are its own.
     */
    public synchronized void start(int id, int niceness) throws IOException {
        if (processes.containsKey(id) && processes.get(id).isAlive()) {
            throw new IllegalStateException("replica " + id + " is already running");
        }
        List<String> command = new ArrayList<>();
        if (niceness != 0) {
            // nice execs the JVM, so the process (and its pid) is the replica's
            command.addAll(List.of("nice", "-n", Integer.toString(niceness)));
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(spec.jvmOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ReplicaMain.class.getName(),
                "--config", configFile().toString(), "--id", Integer.toString(id),
                "--identity", dir.resolve("replica-" + id + ".key").toString(),
                "--data-dir", dataDir(id).toString(), "--report-to", agentReport(id).toString()));
        command.addAll(spec.replicaArgs());
        ByzantineMode mode = spec.byzantine().getOrDefault(id, ByzantineMode.NONE);
        if (mode != ByzantineMode.NONE) {
            command.addAll(List.of("--byzantine-test-mode", mode.name()));
        }
        Path log = dir.resolve("replica-" + id + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        processes.put(id, process);
    }

    public void startAll() throws IOException {
        for (int id = 1; id <= spec.n(); id++) {
            start(id);
        }
    }

    /** SIGKILL: the replica gets no chance to clean up. */
    public synchronized void kill(int id) throws InterruptedException {
        Process process = processes.remove(id);
        if (process != null) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /**
     * Stops replica {@code id} with SIGSTOP (true) or lets it go on with SIGCONT (false): a replica
     * that is silent without losing anything, its connections open.
     */
    public synchronized void pause(int id, boolean stopped) throws IOException, InterruptedException {
        long pid = pid(id).orElseThrow(() -> new IllegalStateException("replica " + id + " is not running"));
        Process kill = new ProcessBuilder("kill", stopped ? "-STOP" : "-CONT", Long.toString(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill " + (stopped ? "-STOP " : "-CONT ") + pid + " exited with " + kill.exitValue());
        }
    }

    /** The operating-system process id of replica {@code id}, if it runs. */
    public synchronized Optional<Long> pid(int id) {
        Process process = processes.get(id);
        return process != null && process.isAlive() ? Optional.of(process.pid()) : Optional.empty();
    }

    public synchronized boolean isRunning(int id) {
        Process process = processes.get(id);
        return process != null && process.isAlive();
    }

    /** The replica's last written status, if it wrote one. */
    public Optional<Status> status(int id) {
        String json;
        try {
            json = Files.readString(dataDir(id).resolve(StatusFile.NAME), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.of(new Status(number(json, "view"), number(json, "lastExecutedSeq"),
                text(json, "stateDigest"), text(json, "chainHash"), number(json, "stableCheckpointSeq"),
                text(json, "stableCheckpointDigest"), json.contains("\"recovering\":true")));
    }

    /** Stops every replica: SIGTERM, then SIGKILL for any still running after the grace time. */
    @Override
    public synchronized void close() {
        processes.values().forEach(Process::destroy);
        try {
            for (Process process : processes.values()) {
                if (!process.waitFor(STOP_MILLIS_MAX, TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            processes.values().forEach(Process::destroyForcibly);
            Thread.currentThread().interrupt();
        }
        processes.clear();
    }

    /** The whole-number field of a one-line JSON object this package writes (status, agent reports). */
    public static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(-?\\d+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no field " + field + " in " + json);
        }
        return Long.parseLong(m.group(1));
    }

    /** The string field of a one-line JSON object this package writes. */
    public static String text(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":\"([^\"]*)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no field " + field + " in " + json);
        }
        return m.group(1);
    }

    private static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                ports.add(socket.getLocalPort());
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }
}
