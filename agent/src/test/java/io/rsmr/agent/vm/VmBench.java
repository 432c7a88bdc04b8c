package io.rsmr.agent.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The VM fixture for benchmarks: the same guest, golden store and agent as the VM tests. */
public final class VmBench {
    public static final Path REPO = VmFixture.REPO;
    private final VmFixture fx;
    private final Path config;
    private final Path settings;

    private VmBench(VmFixture fx, Path config, Path settings) {
        this.fx = fx;
        this.config = config;
        this.settings = settings;
    }

    public static VmBench start() throws IOException, InterruptedException {
        VmFixture fx = new VmFixture();
        return new VmBench(fx, fx.clusterConfig("cluster.yaml", "60s", List.of("alert")),
                fx.settings("agent.yaml", "replica-exited"));
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

    public void close() throws IOException, InterruptedException {
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
