package io.rsmr.agent.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.EpochIdentity;
import io.rsmr.common.crypto.KeyFileException;
import io.rsmr.common.crypto.KeyFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The guest replica's peers: the other replicas of the VM tests' cluster, run on the host as
 * processes of the very replica jar the golden root image carries (so guest and peers speak the
 * same protocol), listening on extra addresses of the payload bridge. Only the processes started
 * here are ever signalled or stopped.
 */
final class HostReplicas {
    static final String BRIDGE = "rsmr-pay0";
    static final int PREFIX_LENGTH = 24;
    private static final String JAR_IN_IMAGE = "opt/rsmr/rsmr-replica.jar";
    private static final long READY_MILLIS_MAX = 60_000;
    private static final long STOP_MILLIS_MAX = 5_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Map<Integer, Process> processes = new LinkedHashMap<>();
    private final Set<Integer> frozen = new HashSet<>();
    /** A test JVM ended by a signal leaves no replica behind. */
    private final Thread killOnExit = new Thread(this::killAll, "host-replicas-kill");

    private HostReplicas(Path dir) {
        this.dir = dir;
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    private synchronized void killAll() {
        processes.values().forEach(Process::destroyForcibly);
    }

    /**
     * Starts replica {@code id} for each entry of {@code hosts} (replica id -> its host's name and
     * payload address), with an epoch-1 identity certified by that host's agent key from the
     * fixture, and waits until each listens.
     */
    static HostReplicas start(VmFixture fx, Path config, Map<Integer, HostPeer> peers) throws IOException, InterruptedException {
        HostReplicas r = new HostReplicas(Files.createDirectories(fx.dir.resolve("host-replicas")));
        try {
            Path jar = r.extractJar(fx.golden.resolve("root.img"));
            for (Map.Entry<Integer, HostPeer> e : peers.entrySet()) {
                addAddress(e.getValue().address());
                r.startOne(jar, config, e.getKey(), fx.dir.resolve("keys/agent-" + e.getValue().host() + ".key"));
            }
            for (int id : peers.keySet()) {
                r.awaitReady(id);
            }
            return r;
        } catch (IOException | InterruptedException | RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /** A host-side replica: the host it stands for in the cluster config, and its payload address. */
    record HostPeer(String host, String address) {
    }

    private Path extractJar(Path rootImage) throws IOException, InterruptedException {
        Path jar = dir.resolve("rsmr-replica.jar");
        Process p = new ProcessBuilder("unsquashfs", "-cat", rootImage.toString(), JAR_IN_IMAGE)
                .redirectOutput(jar.toFile()).redirectError(dir.resolve("unsquashfs.err").toFile()).start();
        if (p.waitFor() != 0 || Files.size(jar) == 0) {
            throw new IllegalStateException("cannot extract " + JAR_IN_IMAGE + " from " + rootImage + ": "
                    + Files.readString(dir.resolve("unsquashfs.err")));
        }
        return jar;
    }

    /** Idempotent: the address stays on the bridge for the next run (no other test uses it). */
    private static void addAddress(String address) throws IOException, InterruptedException {
        int status = VmFixture.run("ip", "addr", "replace", address + "/" + PREFIX_LENGTH, "dev", BRIDGE);
        if (status != 0) {
            throw new IllegalStateException("cannot add " + address + " to " + BRIDGE + " (is it up? scripts/net-up.sh)");
        }
    }

    private void startOne(Path jar, Path config, int id, Path agentKeyFile) throws IOException {
        Ed25519Keys.SigningKey agentKey;
        try {
            agentKey = KeyFiles.readSigningKey(agentKeyFile);
        } catch (KeyFileException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        Path identity = dir.resolve("replica-" + id + ".identity");
        KeyFiles.writeIdentity(identity, EpochIdentity.issue(agentKey, Ed25519Keys.generate(new SecureRandom()),
                clusterName(config), id, 1));
        Path data = Files.createDirectories(dir.resolve("data-" + id));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "--config", config.toString(),
                "--id", Integer.toString(id), "--identity", identity.toString(), "--data-dir", data.toString(),
                "--report-to", report(id).toString());
        processes.put(id, new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("replica-" + id + ".log").toFile())).start());
    }

    private static String clusterName(Path config) throws IOException {
        return Files.readAllLines(config).stream().filter(l -> l.startsWith("cluster:"))
                .map(l -> l.substring("cluster:".length()).strip()).findFirst()
                .orElseThrow(() -> new IllegalStateException(config + " names no cluster"));
    }

    private Path report(int id) {
        return dir.resolve("agent-report-" + id + ".jsonl");
    }

    private void awaitReady(int id) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_MILLIS_MAX);
        while (System.nanoTime() < deadline) {
            if (!processes.get(id).isAlive()) {
                throw new IllegalStateException("host replica " + id + " exited with " + processes.get(id).exitValue()
                        + "; see " + dir.resolve("replica-" + id + ".log"));
            }
            if (Files.exists(report(id)) && Files.readString(report(id)).contains("\"event\":\"replica-ready\"")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("host replica " + id + " did not report replica-ready within " + READY_MILLIS_MAX + " ms");
    }

    /** The replica's last status.json, if it wrote one. */
    Optional<JsonNode> status(int id) throws IOException {
        try {
            return Optional.of(JSON.readTree(Files.readString(dir.resolve("data-" + id).resolve("status.json"),
                    StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The host replicas that are not frozen. */
    synchronized List<Integer> ids() {
        return processes.keySet().stream().filter(id -> !frozen.contains(id)).toList();
    }

    /** SIGSTOP (true) or SIGCONT (false) to every host replica: peers that are there but silent. */
    void freeze(boolean freeze) throws IOException, InterruptedException {
        for (int id : List.copyOf(processes.keySet())) {
            freeze(id, freeze);
        }
    }

    /** SIGSTOP (true) or SIGCONT (false) to host replica {@code id}. */
    synchronized void freeze(int id, boolean freeze) throws IOException, InterruptedException {
        long pid = processes.get(id).pid();
        if (VmFixture.run("kill", freeze ? "-STOP" : "-CONT", Long.toString(pid)) != 0) {
            throw new IllegalStateException("cannot " + (freeze ? "stop" : "continue") + " host replica " + id + " (pid " + pid + ")");
        }
        if (freeze) {
            frozen.add(id);
        } else {
            frozen.remove(id);
        }
    }

    private static void continueQuietly(long pid) {
        try {
            VmFixture.run("kill", "-CONT", Long.toString(pid));
        } catch (IOException e) {
            // destroyForcibly below ends it either way
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized void close() throws InterruptedException {
        for (Process p : processes.values()) {
            if (p.isAlive()) {
                continueQuietly(p.pid()); // a frozen process would not act on SIGTERM
            }
            p.destroy();
        }
        for (Process p : processes.values()) {
            if (!p.waitFor(STOP_MILLIS_MAX, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
        processes.clear();
        Runtime.getRuntime().removeShutdownHook(killOnExit);
    }
}
