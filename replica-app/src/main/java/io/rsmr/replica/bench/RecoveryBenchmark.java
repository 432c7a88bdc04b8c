package io.rsmr.replica.bench;

import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.kv.KvOperation;
import io.rsmr.replica.node.ByzantineMode;
import io.rsmr.replica.node.LocalCluster;
import io.rsmr.replica.storage.ChunkPacks;
import io.rsmr.replica.transport.Membership;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Recovery of one replica of a local cluster ({@code --shape n:k:k'}, default 4:0:1) holding {@code --state-mb} MB of
 * key-value state, all in one run so that ratios compare like with like on this noisy machine:
 * <ol>
 * <li>raw loopback TCP throughput (one stream, 1 MiB writes), the reference for the transfer rate;</li>
 * <li>recovery with an empty data directory (everything but the "ran before" marker deleted), no client load;</li>
 * <li>recovery with {@code --corrupt-percent} of its stored chunks overwritten with random bytes and its log and
 *     checkpoint file gone, no client load: the disk a rejuvenated replica boots with (its log and checkpoint
 *     file were written under the previous epoch's key, so it cannot use them and recovers from its peers,
 *     keeping the chunks that match);</li>
 * <li>recovery with an empty data directory while {@code --load-clients} closed-loop clients write:
 *     committed requests per second, after {@code --warmup-seconds} of that load (the replicas' JIT compiles the
 *     small-write paths, which loading did not use: without it the "steady" rate still doubled over the next 20 s),
 *     from {@code --steady-seconds} before the kill to {@code --steady-seconds}
 *     after the replica reports it recovered (the page cache is flushed first: the load's and the earlier
 *     recoveries' dirty pages would otherwise be written back during the steady window and depress it);</li>
 * <li>then, under the same load, the recovered replica stopped (SIGSTOP) for as long as its recovery took, and let
 *     go on (SIGCONT): the dip of one replica fewer, to tell it from the cost of one recovering.</li>
 * </ol>
 * Times come from the replica's own "recovered" and "recovery-progress" reports.
 *
 * <pre>
 * java -cp rsmr-replica.jar io.rsmr.replica.bench.RecoveryBenchmark --shape 6:1:1 --state-mb 100 --value-bytes 60000 \
 *      --jvm "-Xmx1g -XX:+UseParallelGC" --corrupt-percent 1 --load-clients 16 --warmup-seconds 20 --steady-seconds 10 \
 *      [--victim-nice 10] [--replica-args "--fsync none"] \
 *      [--serve-mib-per-second 100] --out replica-recovery.jsonl [--dir DIR]
 * </pre>
 */
public final class RecoveryBenchmark {
    private static final int VICTIM = 4;
    /** A replica that serves the victim's transfers (ids are 1-based): its peak memory for comparison. */
    private static final int SERVING = 1;
    private static final long RECOVERY_SECONDS_MAX = 600;
    private static final int LOADERS = 16;
    private static final int TCP_BUFFER_BYTES = 1 << 20;

    private final LocalCluster cluster;
    private final RsmrClient client;
    private final List<String> results = new ArrayList<>();

    private RecoveryBenchmark(LocalCluster cluster, RsmrClient client) {
        this.cluster = cluster;
        this.client = client;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = ClusterBenchmark.options(args);
        long stateBytes = Long.parseLong(options.getOrDefault("state-mb", "100")) << 20;
        int valueBytes = Integer.parseInt(options.getOrDefault("value-bytes", "60000"));
        double corruptPercent = Double.parseDouble(options.getOrDefault("corrupt-percent", "1"));
        Load load = new Load(Integer.parseInt(options.getOrDefault("load-clients", "16")),
                Integer.parseInt(options.getOrDefault("warmup-seconds", "20")),
                Integer.parseInt(options.getOrDefault("steady-seconds", "10")),
                Integer.parseInt(options.getOrDefault("victim-nice", "0")));
        List<String> jvm = Arrays.asList(options.getOrDefault("jvm", "-Xmx1g").split(" "));
        Path dir = Path.of(options.getOrDefault("dir", Files.createTempDirectory("rsmr-recovery").toString()));
        Path out = Path.of(options.getOrDefault("out", "replica-recovery.jsonl"));
        long stateBytesMax = Math.min(Integer.MAX_VALUE, stateBytes * 3 / 2 + (64L << 20));
        int[] shape = Arrays.stream(options.getOrDefault("shape", "4:0:1").split(":")).mapToInt(Integer::parseInt)
                .toArray();
        int serveMiBPerSecond = Integer.parseInt(options.getOrDefault("serve-mib-per-second", "0"));
        LocalCluster.Spec spec = new LocalCluster.Spec("bench-recovery", shape[0], shape[1], shape[2], jvm,
                Map.<Integer, ByzantineMode>of(), replicaArgs(stateBytesMax, options.getOrDefault("replica-args", "")),
                serveMiBPerSecond);
        String setup = ("{\"measure\":\"setup\",\"n\":" + shape[0] + ",\"k\":" + shape[1] + ",\"kPrime\":"
                + shape[2] + ",\"serveMiBPerSecond\":" + (serveMiBPerSecond > 0 ? serveMiBPerSecond : "\"default\"")
                + ",\"jvm\":\"" + String.join(" ", jvm) + "\",\"load\":\"" + load + "\"}");
        try (LocalCluster cluster = LocalCluster.create(dir, spec)) {
            cluster.startAll();
            Membership membership = Membership.of(new ClusterConfigLoader().load(cluster.configFile()));
            try (RsmrClient client = RsmrClient.start(ClientSettings.defaults(membership, Math.max(LOADERS, load.clients()))
                    .withRequestTimeoutMillis(60_000))) {
                RecoveryBenchmark bench = new RecoveryBenchmark(cluster, client);
                bench.emit(setup);
                bench.run(stateBytes, valueBytes, corruptPercent, load);
                Files.write(out, bench.results, StandardCharsets.UTF_8);
            }
        }
        System.out.println("results in " + out.toAbsolutePath() + ", replica logs in " + dir);
    }

    /** Every replica's options: the state limit the load needs, then {@code --replica-args} (e.g. "--fsync none"). */
    private static List<String> replicaArgs(long stateBytesMax, String extra) {
        List<String> args = new ArrayList<>(List.of("--state-bytes-max", Long.toString(stateBytesMax)));
        if (!extra.isBlank()) {
            args.addAll(Arrays.asList(extra.trim().split(" +")));
        }
        return args;
    }

    /**
     * The client load during the last recovery: closed-loop clients, seconds of warm-up, seconds measured before
     * the kill; and the niceness the victim restarts with then (on this one machine it shares the serving
     * replicas' two cores, its JIT's and transfer's work included; a rejuvenated replica has its own host's).
     */
    private record Load(int clients, int warmupSeconds, int steadySeconds, int victimNice) {
    }

    private void run(long stateBytes, int valueBytes, double corruptPercent, Load load)
            throws Exception {
        long began = System.nanoTime();
        long keys = load(stateBytes, valueBytes);
        double loadSeconds = (System.nanoTime() - began) / 1e9;
        long stableSeq = settle();
        emit("{\"measure\":\"load\",\"stateBytes\":" + stateBytes + ",\"keys\":" + keys + ",\"valueBytes\":" + valueBytes
                + ",\"seconds\":" + round(loadSeconds) + ",\"stableCheckpointSeq\":" + stableSeq + "}");
        double tcpBytesPerSecond = loopbackTcpBytesPerSecond(stateBytes);
        emit("{\"measure\":\"loopback-tcp\",\"bytes\":" + stateBytes + ",\"MBps\":" + round(tcpBytesPerSecond / 1e6) + "}");
        String empty = recover("empty", () -> wipe(cluster.dataDir(VICTIM)), tcpBytesPerSecond);
        String corrupt = recover("corrupt-" + corruptPercent + "%", () -> {
            corruptChunks(cluster.dataDir(VICTIM), corruptPercent);
            forgetLog(cluster.dataDir(VICTIM));
        }, tcpBytesPerSecond);
        emit("{\"measure\":\"corrupt-vs-empty\",\"recoverMillisRatio\":" + round(
                (double) LocalCluster.number(corrupt, "recoverMillis") / LocalCluster.number(empty, "recoverMillis"))
                + "}");
        recoverUnderLoad(load, tcpBytesPerSecond);
    }

    private void emit(String json) {
        System.out.println(json);
        results.add(json);
    }

    // ---------------------------------------------------------------- loading the state

    /** Puts keys of {@code valueBytes} random bytes from several threads until the values add up to {@code stateBytes}. */
    private long load(long stateBytes, int valueBytes) throws InterruptedException {
        long keys = (stateBytes + valueBytes - 1) / valueBytes;
        AtomicLong next = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < LOADERS; t++) {
            Random random = new Random(t);
            Thread thread = new Thread(() -> {
                byte[] value = new byte[valueBytes];
                for (long key = next.getAndIncrement(); key < keys; key = next.getAndIncrement()) {
                    random.nextBytes(value);
                    invoke(new KvOperation.Put(key(key), value).encode());
                }
            }, "loader-" + t);
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return keys;
    }

    private void invoke(byte[] operation) {
        try {
            client.invoke(operation);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("a request timed out; replica logs say why", e);
        }
    }

    private static byte[] key(long key) {
        return String.format("key-%010d", key).getBytes(StandardCharsets.UTF_8);
    }

    /** Small writes until every replica's stable checkpoint covers the loaded state; returns its seq. */
    private long settle() throws InterruptedException {
        long loadedSeq = status(1).lastExecutedSeq();
        for (int i = 0; ; i++) {
            long seq = Long.MAX_VALUE;
            for (int id = 1; id <= cluster.spec().n(); id++) {
                seq = Math.min(seq, status(id).stableCheckpointSeq());
            }
            if (seq >= loadedSeq) {
                return seq;
            }
            invoke(new KvOperation.Put(("settle-" + (i % 100)).getBytes(StandardCharsets.UTF_8), new byte[8]).encode());
        }
    }

    private LocalCluster.Status status(int id) {
        return cluster.status(id).orElseThrow(() -> new IllegalStateException("replica " + id + " wrote no status"));
    }

    // ---------------------------------------------------------------- loopback reference

    /** One TCP stream over loopback, in this process: the ceiling a transfer is compared with. */
    static double loopbackTcpBytesPerSecond(long bytes) throws IOException, InterruptedException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            AtomicLong received = new AtomicLong();
            Thread reader = new Thread(() -> {
                try (Socket socket = server.accept(); InputStream in = socket.getInputStream()) {
                    byte[] buffer = new byte[TCP_BUFFER_BYTES];
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        received.addAndGet(n);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, "tcp-reader");
            reader.start();
            long began = System.nanoTime();
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                 OutputStream output = socket.getOutputStream()) {
                byte[] buffer = new byte[TCP_BUFFER_BYTES];
                for (long sent = 0; sent < bytes; sent += buffer.length) {
                    output.write(buffer);
                }
            }
            reader.join();
            return received.get() / ((System.nanoTime() - began) / 1e9);
        }
    }

    // ---------------------------------------------------------------- recoveries

    private interface Damage {
        void apply() throws IOException;
    }

    /** Kills the victim, damages its directory, restarts it and waits for its "recovered" line. */
    private String recover(String name, Damage damage, double tcpBytesPerSecond) throws Exception {
        return recover(name, damage, tcpBytesPerSecond, 0);
    }

    private String recover(String name, Damage damage, double tcpBytesPerSecond, int victimNice) throws Exception {
        int before = lines("\"recovered\"").size();
        int progressBefore = lines("\"recovery-progress\"").size();
        cluster.kill(VICTIM);
        damage.apply();
        long began = System.nanoTime();
        cluster.start(VICTIM, victimNice);
        String recovered = awaitRecovered(before);
        double wallSeconds = (System.nanoTime() - began) / 1e9;
        double transferring = transferringSeconds(lines("\"recovery-progress\"").subList(progressBefore,
                lines("\"recovery-progress\"").size()), recovered);
        long bytes = LocalCluster.number(recovered, "bytesFetched");
        double rate = transferring > 0 ? bytes / transferring : 0;
        emit("{\"measure\":\"recovery\",\"damage\":\"" + name + "\",\"wallSeconds\":" + round(wallSeconds)
                + ",\"transferringSeconds\":" + round(transferring) + ",\"transferMBps\":" + round(rate / 1e6)
                + ",\"transferToTcpRatio\":" + round(rate / tcpBytesPerSecond) + ",\"victimPeakRssMB\":"
                + peakRssMegabytes(VICTIM) + ",\"servingPeakRssMB\":" + peakRssMegabytes(SERVING) + ",\"report\":"
                + recovered + "}");
        return recovered;
    }

    /**
     * The replica's peak resident set since its start (Linux {@code VmHWM}), in MB; -1 when unknown.
     * For the victim, read just after it recovered: the memory its recovery took.
     */
    private long peakRssMegabytes(int replica) {
        Optional<Long> pid = cluster.pid(replica);
        if (pid.isEmpty()) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", pid.get().toString(), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private String awaitRecovered(int before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RECOVERY_SECONDS_MAX);
        while (lines("\"recovered\"").size() <= before) {
            if (System.nanoTime() - deadline > 0 || !cluster.isRunning(VICTIM)) {
                throw new IllegalStateException("replica " + VICTIM + " did not recover (see its log)");
            }
            Thread.sleep(20);
        }
        return lines("\"recovered\"").get(before);
    }

    /** Seconds from the first TRANSFERRING progress line to the report of the next phase (or the end). */
    private static double transferringSeconds(List<String> progress, String recovered) {
        long from = -1;
        long to = LocalCluster.number(recovered, "recoverMillis");
        for (String line : progress) {
            boolean transferring = LocalCluster.text(line, "phase").equals("TRANSFERRING");
            if (transferring && from < 0) {
                from = LocalCluster.number(line, "elapsedMillis");
            } else if (!transferring && from >= 0) {
                to = LocalCluster.number(line, "elapsedMillis");
                break;
            }
        }
        return from < 0 ? 0 : (to - from) / 1000.0;
    }

    private List<String> lines(String event) {
        try {
            return Files.readAllLines(cluster.agentReport(VICTIM)).stream()
                    .filter(l -> l.startsWith("{\"event\":" + event)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Everything but the "ran before" marker: a replica that lost its disk's contents. */
    private static void wipe(Path dataDir) throws IOException {
        delete(dataDir, List.of("wal", ChunkPacks.DIRECTORY, "checkpoint"));
    }

    /**
     * The log and the checkpoint file: what a rejuvenated replica cannot trust (written under the old
     * epoch's key; {@code BootRule}), so that it recovers like one rather than resuming from its log.
     */
    private static void forgetLog(Path dataDir) throws IOException {
        delete(dataDir, List.of("wal", "checkpoint"));
    }

    private static void delete(Path dataDir, List<String> names) throws IOException {
        for (String name : names) {
            Path path = dataDir.resolve(name);
            if (Files.exists(path)) {
                try (var paths = Files.walk(path)) {
                    for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
    }

    /** Overwrites 64 random bytes in {@code percent} % of the stored chunks (at least one). */
    private static void corruptChunks(Path dataDir, double percent) throws IOException {
        List<ChunkPacks.Body> chunks = new ArrayList<>(ChunkPacks.bodies(dataDir));
        Random random = new Random(7);
        java.util.Collections.shuffle(chunks, random);
        int count = (int) Math.max(1, Math.round(chunks.size() * percent / 100));
        for (ChunkPacks.Body chunk : chunks.subList(0, count)) {
            chunk.overwrite(random, 64);
        }
    }

    // ---------------------------------------------------------------- throughput while recovering

    /**
     * The empty-disk recovery under load; then, under the same load, the victim stopped (SIGSTOP) for
     * as long as the recovery took: how much of the dip is one replica fewer, not one recovering.
     */
    private void recoverUnderLoad(Load load, double tcpBytesPerSecond) throws Exception {
        int seconds = (int) RECOVERY_SECONDS_MAX * 2 + load.warmupSeconds() + 3 * load.steadySeconds() + 10;
        AtomicLongArray commits = new AtomicLongArray(seconds);
        AtomicBoolean running = new AtomicBoolean(true);
        flushPageCache();
        long start = System.nanoTime();
        List<Thread> threads = startLoad(load.clients(), commits, running, start);
        Thread.sleep(TimeUnit.SECONDS.toMillis(load.warmupSeconds() + load.steadySeconds()));
        int killSecond = second(start);
        String recovered = recover("empty-under-load", () -> wipe(cluster.dataDir(VICTIM)), tcpBytesPerSecond,
                load.victimNice());
        int recoveredSecond = second(start);
        Thread.sleep(TimeUnit.SECONDS.toMillis(load.steadySeconds() + 1));
        int stopSecond = second(start);
        cluster.pause(VICTIM, true);
        Thread.sleep(TimeUnit.SECONDS.toMillis(Math.max(2, recoveredSecond - killSecond + 1)));
        cluster.pause(VICTIM, false);
        int continueSecond = second(start);
        Thread.sleep(TimeUnit.SECONDS.toMillis(load.steadySeconds()));
        running.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        double steady = mean(commits, Math.max(1, load.warmupSeconds()), killSecond);
        emit(throughputJson(commits, steady, killSecond, recoveredSecond, stopSecond, recovered));
        emit("{\"measure\":\"throughput-while-one-is-stopped\",\"steadyOpsPerSecond\":" + round(steady)
                + ",\"stopSecond\":" + stopSecond + ",\"continueSecond\":" + continueSecond
                + ",\"minRatioWhileStopped\":" + round(minRatio(commits, steady, stopSecond, continueSecond))
                + ",\"ratioPerSecondFromStop\":[" + ratios(commits, steady, stopSecond, second(start)) + "]}");
    }

    /** Writes every dirty page of the machine back ({@code sync}), so that no earlier write is paid for later. */
    private static void flushPageCache() throws IOException, InterruptedException {
        Process sync = new ProcessBuilder("sync").inheritIO().start();
        if (sync.waitFor() != 0) {
            throw new IOException("sync exited with " + sync.exitValue());
        }
    }

    private List<Thread> startLoad(int clients, AtomicLongArray commits, AtomicBoolean running, long start) {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < clients; t++) {
            byte[] operation = new KvOperation.Put(("load-" + t).getBytes(StandardCharsets.UTF_8), new byte[16]).encode();
            Thread thread = new Thread(() -> {
                while (running.get()) {
                    invoke(operation);
                    commits.incrementAndGet(Math.min(commits.length() - 1, second(start)));
                }
            }, "load-" + t);
            thread.start();
            threads.add(thread);
        }
        return threads;
    }

    private static int second(long start) {
        return (int) TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    }

    /**
     * Each second's ratio to steady from the kill, the lowest up to the second it recovered in, and the mean of the
     * whole seconds from the second after that one to endSecond.
     */
    private static String throughputJson(AtomicLongArray commits, double steady, int killSecond, int recoveredSecond,
                                         int endSecond, String recovered) {
        long zeroSeconds = 0;
        for (int s = killSecond; s <= recoveredSecond; s++) {
            zeroSeconds += commits.get(s) == 0 ? 1 : 0;
        }
        return "{\"measure\":\"throughput-while-recovering\",\"steadyOpsPerSecond\":" + round(steady)
                + ",\"afterRecoveryOpsPerSecond\":" + round(mean(commits, recoveredSecond + 1, endSecond))
                + ",\"killSecond\":" + killSecond + ",\"recoveredSecond\":" + recoveredSecond
                + ",\"minRatioWhileRecovering\":" + round(minRatio(commits, steady, killSecond, recoveredSecond))
                + ",\"secondsWithZeroCommits\":" + zeroSeconds
                + ",\"ratioPerSecondFromKill\":[" + ratios(commits, steady, killSecond, endSecond)
                + "],\"recoveredReport\":" + recovered + "}";
    }

    /** Mean commits per second over the whole seconds [from, to). */
    private static double mean(AtomicLongArray commits, int from, int to) {
        double sum = 0;
        for (int s = from; s < to; s++) {
            sum += commits.get(s);
        }
        return sum / Math.max(1, to - from);
    }

    /** The lowest ratio to steady of the seconds [from, through]. */
    private static double minRatio(AtomicLongArray commits, double steady, int from, int through) {
        double min = Double.MAX_VALUE;
        for (int s = from; s <= through; s++) {
            min = Math.min(min, commits.get(s) / steady);
        }
        return min;
    }

    /** Each second's ratio to steady, [from, to), comma-separated. */
    private static String ratios(AtomicLongArray commits, double steady, int from, int to) {
        StringBuilder perSecond = new StringBuilder();
        for (int s = from; s < to; s++) {
            perSecond.append(perSecond.length() == 0 ? "" : ",").append(round(commits.get(s) / steady));
        }
        return perSecond.toString();
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
