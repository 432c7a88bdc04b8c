package io.rsmr.agent.rounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.KeyFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four agent processes, each in its own network namespace rsmr-h&lt;i&gt; on the management bridge
 * rsmr-mgmt0 (scripts/mgmt-net-up.sh), running the real rounds over the real LAN, with faults injected
 * from outside: a slow and an overrunning rejuvenation, packet loss (iptables statistic inside a
 * namespace), a partition (iptables DROP), a paused agent (SIGSTOP) and a skewed clock. Needs root.
 */
class RoundsNetnsSystemIT {
    private static final int HOSTS = 4;
    private static final long LOCAL = 1_000;
    private static final long TD = 6_000;
    private static final long TP = 8_000;
    private static final long FAIL_SAFE_WITHIN_MILLIS = 1_000;
    /** Four JVMs starting at once on a busy 2-core machine: generous, and outside the schedule. */
    private static final long STARTUP_MILLIS = 60_000;
    /** From "all loaded" to the epoch: the cores' learning time plus a margin. */
    private static final long EPOCH_AFTER_READY_MILLIS = 3_000;

    @TempDir
    Path dir;
    private final Map<String, Process> agents = new LinkedHashMap<>();
    private final List<String[]> undo = new ArrayList<>();

    @BeforeEach
    void requireManagementLan() throws Exception {
        String namespaces = run("ip", "netns", "list");
        for (int i = 1; i <= HOSTS; i++) {
            if (!namespaces.contains("rsmr-h" + i)) {
                fail("namespace rsmr-h" + i + " is missing: run scripts/mgmt-net-up.sh (as root) first");
            }
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (String[] command : undo) {
            run(command);
        }
        for (Process p : agents.values()) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Starts the four agents and, once all have loaded, gives them the epoch {@code epochAfterReady} ms
     * from then; {@code extra} holds per-host properties. Returns the epoch.
     */
    private long startAgents(long epochAfterReady, Map<String, Map<String, String>> extra) throws Exception {
        SecureRandom random = new SecureRandom();
        Properties common = new Properties();
        common.setProperty("cluster", "netns");
        common.setProperty("k", "1");
        common.setProperty("epochFile", dir.resolve("epoch").toString());
        common.setProperty("tpMillis", Long.toString(TP));
        common.setProperty("tdMillis", Long.toString(TD));
        common.setProperty("localExecMillis", Long.toString(LOCAL));
        common.setProperty("rejuvenationMillis", "300");
        StringBuilder replicas = new StringBuilder();
        for (int i = 1; i <= HOSTS; i++) {
            String h = "h" + i;
            Ed25519Keys.SigningKey key = Ed25519Keys.generate(random);
            KeyFiles.writeSigningKey(dir.resolve(h + ".key"), key);
            KeyFiles.writePublicKey(dir.resolve(h + ".pub"), key.publicKey());
            common.setProperty("key." + h, dir.resolve(h + ".pub").toString());
            common.setProperty("address." + h, "198.19.0." + (10 + i) + ":7100");
            replicas.append(replicas.length() == 0 ? "" : ",").append(i).append('=').append(h);
        }
        common.setProperty("replicas", replicas.toString());
        for (int i = 1; i <= HOSTS; i++) {
            String h = "h" + i;
            Properties p = new Properties();
            p.putAll(common);
            p.setProperty("self", h);
            p.setProperty("signingKey", dir.resolve(h + ".key").toString());
            p.setProperty("events", dir.resolve(h + ".events").toString());
            extra.getOrDefault(h, Map.of()).forEach(p::setProperty);
            Path file = dir.resolve(h + ".properties");
            try (var w = Files.newBufferedWriter(file)) {
                p.store(w, null);
            }
            agents.put(h, new ProcessBuilder("ip", "netns", "exec", "rsmr-h" + i, javaBin(), "-Xmx64m", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), RoundsTestAgent.class.getName(), file.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve(h + ".log").toFile()).start());
        }
        awaitEvent("loaded");
        long epoch = System.currentTimeMillis() + epochAfterReady;
        Path epochFile = dir.resolve("epoch");
        Files.writeString(dir.resolve("epoch.tmp"), Long.toString(epoch));
        Files.move(dir.resolve("epoch.tmp"), epochFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        awaitEvent("ready");
        return epoch;
    }

    private void awaitEvent(String kind) throws Exception {
        long until = System.currentTimeMillis() + STARTUP_MILLIS;
        for (String h : agents.keySet()) {
            while (events(h).stream().noneMatch(e -> e.kind.equals(kind))) {
                if (System.currentTimeMillis() > until || !agents.get(h).isAlive()) {
                    fail(h + " did not get to '" + kind + "': " + Files.readString(dir.resolve(h + ".log")));
                }
                Thread.sleep(20);
            }
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** One line an agent wrote. */
    record Event(long millis, String host, String kind, String detail) {
    }

    private List<Event> events(String host) throws IOException {
        Path file = dir.resolve(host + ".events");
        if (!Files.exists(file)) {
            return List.of();
        }
        List<Event> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String[] f = line.split("\t", 3);
            if (f.length == 3) {
                out.add(new Event(Long.parseLong(f[0]), host, f[1], f[2]));
            }
        }
        return out;
    }

    private List<Event> allEvents() throws IOException {
        List<Event> all = new ArrayList<>();
        for (String h : agents.keySet()) {
            all.addAll(events(h));
        }
        all.sort((a, b) -> Long.compare(a.millis, b.millis));
        return all;
    }

    private static long roundDeadline(long epoch, long round) {
        return epoch + round * TP + TD;
    }

    private static void sleepUntil(long millis) throws InterruptedException {
        long wait = millis - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    /**
     * Round 0: replica 2's rejuvenation takes 1.8 slots, so group 2 must wait for it, and the round
     * still ends within T_d; agent h1 loses 20% of what it receives. Round 1: replica 3's takes longer
     * than T_d, and every agent must fire the fail-safe within 1 s of the deadline.
     */
    @Test
    void aDelayedGroupMakesTheNextWaitAndAnOverrunFiresTheFailSafeEverywhere() throws Exception {
        inNamespace(1, "iptables", "-w", "-A", "INPUT", "-m", "statistic", "--mode", "random", "--probability", "0.2", "-j", "DROP");
        long epoch = startAgents(EPOCH_AFTER_READY_MILLIS, Map.of(
                "h2", Map.of("rejuvenationMillis.0.2", "1800"),
                "h3", Map.of("rejuvenationMillis.1.3", Long.toString(TD + 3_000))));
        sleepUntil(roundDeadline(epoch, 1) + FAIL_SAFE_WITHIN_MILLIS + 500);

        List<Event> all = allEvents();
        int down = 0;
        for (Event e : all) {
            down += e.kind.equals("down") ? 1 : e.kind.equals("up") ? -1 : 0;
            assertTrue(down <= 1, "more than k = 1 replicas down at " + e + "\n" + all);
        }
        long replica2Up = all.stream().filter(e -> e.kind.equals("up") && e.detail.equals("0 2")).findFirst().orElseThrow().millis;
        long replica3Down = all.stream().filter(e -> e.kind.equals("down") && e.detail.equals("0 3")).findFirst().orElseThrow().millis;
        assertTrue(replica3Down >= replica2Up, "group 2 started before group 1 was done");
        assertTrue(replica3Down > epoch + 2 * LOCAL, "group 2 waited past its planned start");

        System.out.println(timeline(all, epoch, 2));
        Map<String, Long> firedAfterDeadline = new TreeMap<>();
        for (String h : agents.keySet()) {
            assertEquals(List.of(), events(h).stream().filter(e -> e.kind.equals("failsafe") && e.detail.startsWith("0 ")).toList(),
                    h + " fired in round 0, which ended within T_d");
            Event fired = events(h).stream().filter(e -> e.kind.equals("failsafe") && e.detail.startsWith("1 round 1 missed T_d"))
                    .findFirst().orElseThrow(() -> new AssertionError(h + " never fired the fail-safe for round 1"));
            firedAfterDeadline.put(h, fired.millis - roundDeadline(epoch, 1));
        }
        System.out.println("fail-safe after the T_d deadline of round 1, ms, per agent: " + firedAfterDeadline);
        firedAfterDeadline.forEach((h, late) -> assertTrue(late <= FAIL_SAFE_WITHIN_MILLIS, h + " fired " + late + " ms late"));
    }

    /**
     * Agent h4 is paused (SIGSTOP) before its slot: the others report it silent, and fire the fail-safe
     * once its replica can no longer be rejuvenated within T_d — before the deadline itself.
     */
    @Test
    void aPausedAgentIsReportedSilentAndTheFailSafeFiresBeforeTheDeadline() throws Exception {
        long epoch = startAgents(EPOCH_AFTER_READY_MILLIS, Map.of());
        run("kill", "-STOP", Long.toString(agents.get("h4").pid()));
        undo.add(new String[] {"kill", "-CONT", Long.toString(agents.get("h4").pid())});
        long latestStart = roundDeadline(epoch, 0) - LOCAL;
        sleepUntil(latestStart + FAIL_SAFE_WITHIN_MILLIS + 200);
        for (String h : List.of("h1", "h2", "h3")) {
            List<Event> mine = events(h);
            assertTrue(mine.stream().anyMatch(e -> e.kind.equals("alert") && e.detail.startsWith("agent h4 is silent")), h + ": " + mine);
            Event fired = mine.stream().filter(e -> e.kind.equals("failsafe") && e.detail.contains("agent h4 is silent and its replica 4"))
                    .findFirst().orElseThrow(() -> new AssertionError(h + " did not fire: " + mine));
            assertTrue(fired.millis <= latestStart + FAIL_SAFE_WITHIN_MILLIS, h + " fired " + (fired.millis - latestStart) + " ms late");
        }
    }

    /** A partitioned agent is reported silent and heard again when healed; a skewed clock is reported. */
    @Test
    void aPartitionAndASkewedClockRaiseAlertsOnTheOthers() throws Exception {
        startAgents(60_000, Map.of("h2", Map.of("clockSkewMillis", "1500")));
        inNamespace(3, "iptables", "-w", "-A", "INPUT", "-j", "DROP");
        inNamespace(3, "iptables", "-w", "-A", "OUTPUT", "-j", "DROP");
        Thread.sleep(4_000);
        run("ip", "netns", "exec", "rsmr-h3", "iptables", "-w", "-F");
        Thread.sleep(2_000);
        for (String h : List.of("h1", "h4")) {
            List<String> alerts = events(h).stream().filter(e -> e.kind.equals("alert")).map(e -> e.detail).toList();
            assertTrue(alerts.stream().anyMatch(a -> a.startsWith("agent h3 is silent")), h + ": " + alerts);
            assertTrue(alerts.contains("agent h3 is heard again"), h + ": " + alerts);
            assertTrue(alerts.stream().anyMatch(a -> a.startsWith("clock of agent h2 is 1") && a.contains("ahead of ours")), h + ": " + alerts);
        }
    }

    /**
     * The paper's Figure 3 from a real run: one row per replica, '#' while it is down; '|' marks each
     * round's start (epoch + r T_p), 'D' its deadline T_d, 'F' where an agent fired the fail-safe.
     */
    static String timeline(List<Event> events, long epoch, int rounds) {
        long step = 200;
        int width = (int) (((rounds - 1) * TP + TD + 2 * FAIL_SAFE_WITHIN_MILLIS) / step);
        StringBuilder out = new StringBuilder("timeline, one column = " + step + " ms from the epoch:\n");
        char[] marks = new char[width];
        java.util.Arrays.fill(marks, ' ');
        for (int r = 0; r < rounds; r++) {
            set(marks, (r * TP) / step, '|');
            set(marks, (r * TP + TD) / step, 'D');
        }
        events.stream().filter(e -> e.kind.equals("failsafe")).forEach(e -> set(marks, (e.millis - epoch) / step, 'F'));
        out.append("          ").append(marks).append('\n');
        for (int id = 1; id <= HOSTS; id++) {
            char[] row = new char[width];
            java.util.Arrays.fill(row, '.');
            Long downAt = null;
            for (Event e : events) {
                String[] roundReplica = e.detail.split(" ");
                if (roundReplica.length == 2 && roundReplica[1].equals(Integer.toString(id))) {
                    if (e.kind.equals("down")) {
                        downAt = e.millis;
                    } else if (e.kind.equals("up") && downAt != null) {
                        for (long t = downAt; t < e.millis; t += step) {
                            set(row, (t - epoch) / step, '#');
                        }
                        downAt = null;
                    }
                }
            }
            for (long t = downAt == null ? Long.MAX_VALUE : downAt; t < epoch + width * step; t += step) {
                set(row, (t - epoch) / step, '#');
            }
            out.append(String.format("replica %d ", id)).append(row).append('\n');
        }
        return out.toString();
    }

    private static void set(char[] row, long index, char c) {
        if (index >= 0 && index < row.length) {
            row[(int) index] = c;
        }
    }

    /** Runs a command inside namespace rsmr-h{@code i}; undone after the test by flushing its iptables. */
    private void inNamespace(int i, String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", "rsmr-h" + i));
        full.addAll(List.of(command));
        run(full.toArray(String[]::new));
        undo.add(new String[] {"ip", "netns", "exec", "rsmr-h" + i, "iptables", "-w", "-F"});
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}
