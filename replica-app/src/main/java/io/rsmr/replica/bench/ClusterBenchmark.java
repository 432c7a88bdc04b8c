package io.rsmr.replica.bench;

import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.node.ByzantineMode;
import io.rsmr.replica.node.LocalCluster;
import io.rsmr.replica.storage.FsyncPolicy;
import io.rsmr.replica.transport.Membership;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;

/**
 * Starts local clusters of replica JVMs (each {@code -Xmx128m} by default) and runs closed-loop
 * load against them for every combination of request/reply size and client count, printing each
 * result and writing all as JSON lines. With several cluster shapes ({@code n:k:k'}) or fsync
 * policies ({@code always}, {@code none}), a cluster of each combination runs at once and every
 * point is measured on each in turn, {@code rounds} times, so that ratios between them come from
 * one run on this shared, noisy machine. Each point also reports the CPU microseconds per operation
 * of every replica and of the client (this process) over the measured interval: a figure much less
 * sensitive to the machine's other load than ops/s.
 *
 * <p>{@code --variants "name=replica args;name=replica args"} adds a dimension for an A/B of replica
 * settings: a cluster of each shape runs with each variant's arguments (after {@code --replica-args}),
 * and every point is measured on each in turn, so two settings are compared within the same minutes.
 *
 * <pre>
 * java -cp rsmr-replica.jar io.rsmr.replica.bench.ClusterBenchmark --shapes 4:0:1,6:1:1 --fsync always,none \
 *      --rounds 2 --clients 16,64 --sizes 0,1024 --warmup 10 --duration 20 --out results.jsonl [--dir DIR] \
 *      [--jvm "-Xmx128m"] [--replica-args "--pipeline-instances-max 8"] [--workloads echo,get,get_ordered] \
 *      [--variants "all=;three=--repliers-per-request 3"]
 * </pre>
 */
public final class ClusterBenchmark {
    private ClusterBenchmark() {}

    /** One cluster of the run: its shape (n, k, k'), fsync policy and variant of the replica arguments. */
    private record Setup(int[] shape, FsyncPolicy policy, Variant variant) {
        String name() {
            return "n" + shape[0] + "-fsync-" + policy.label() + (variant.name().isEmpty() ? "" : "-" + variant.name());
        }
    }

    /** Named extra replica arguments ({@code --variants}); the unnamed default adds none. */
    record Variant(String name, List<String> replicaArgs) {
        static final Variant NONE = new Variant("", List.of());

        /** {@code name=args;name=args}; a name is letters, digits, '-' or '_'. */
        static List<Variant> parse(String list) {
            List<Variant> variants = new ArrayList<>();
            for (String item : list.split(";")) {
                int eq = item.indexOf('=');
                String name = eq < 0 ? item.strip() : item.substring(0, eq).strip();
                if (!name.matches("[A-Za-z0-9_-]+")) {
                    throw new IllegalArgumentException("variant '" + item + "': expected name=replica args");
                }
                String rest = eq < 0 ? "" : item.substring(eq + 1).strip();
                variants.add(new Variant(name, rest.isEmpty() ? List.of() : Arrays.asList(rest.split("\\s+"))));
            }
            return variants;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        List<Variant> variants = options.containsKey("variants") ? Variant.parse(options.get("variants")) : List.of(Variant.NONE);
        List<Setup> setups = new ArrayList<>();
        for (String shape : options.getOrDefault("shapes", "4:0:1").split(",")) {
            for (String policy : options.getOrDefault("fsync", "always").split(",")) {
                for (Variant variant : variants) {
                    setups.add(new Setup(Arrays.stream(shape.split(":")).mapToInt(Integer::parseInt).toArray(),
                            FsyncPolicy.parse(policy), variant));
                }
            }
        }
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "1"));
        List<Integer> clients = numbers(options.getOrDefault("clients", "16,64"));
        List<Integer> sizes = numbers(options.getOrDefault("sizes", "0,1024"));
        List<LoadSettings.Workload> workloads = Arrays.stream(options.getOrDefault("workloads", "echo").split(","))
                .map(w -> LoadSettings.Workload.valueOf(w.strip().toUpperCase(Locale.ROOT))).toList();
        Duration warmup = Duration.ofSeconds(Long.parseLong(options.getOrDefault("warmup", "10")));
        Duration duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "20")));
        List<String> jvm = Arrays.asList(options.getOrDefault("jvm", "-Xmx128m").split(" "));
        List<String> replicaArgs = options.containsKey("replica-args")
                ? Arrays.asList(options.get("replica-args").split(" ")) : List.of();
        Path dir = Path.of(options.getOrDefault("dir", Files.createTempDirectory("rsmr-bench").toString()));
        Path out = Path.of(options.getOrDefault("out", "replica-throughput.jsonl"));
        List<LocalCluster> clusters = new CopyOnWriteArrayList<>();
        List<String> lines = new ArrayList<>();
        // a benchmark stopped with SIGTERM must not leave its replica JVMs running
        Runtime.getRuntime().addShutdownHook(new Thread(() -> clusters.forEach(LocalCluster::close)));
        try {
            List<Membership> memberships = new ArrayList<>();
            for (Setup setup : setups) {
                int[] shape = setup.shape();
                LocalCluster cluster = LocalCluster.create(dir.resolve(setup.name()), new LocalCluster.Spec("bench-" + setup.name(),
                        shape[0], shape[1], shape[2], jvm, Map.<Integer, ByzantineMode>of(),
                        concat(concat(List.of("--fsync", setup.policy().label()), replicaArgs), setup.variant().replicaArgs()), 0));
                clusters.add(cluster);
                cluster.startAll();
                memberships.add(Membership.of(new ClusterConfigLoader().load(cluster.configFile())));
            }
            for (LoadSettings settings : points(workloads, sizes, clients, warmup, duration)) {
                for (int round = 0; round < rounds; round++) {
                    for (int s = 0; s < setups.size(); s++) {
                        int[] shape = setups.get(s).shape();
                        LocalCluster cluster = clusters.get(s);
                        CompletableFuture<CpuSampler.Interval> cpu = CpuSampler.over(pids(cluster, shape[0]), warmup, duration,
                                () -> cluster.status(1).map(LocalCluster.Status::lastExecutedSeq).orElse(0L));
                        LoadResult result = point(memberships.get(s), settings);
                        CpuSampler.PerOperation perOp = perOperation(cpu.get(), result.operations());
                        String fsync = setups.get(s).policy().label();
                        Variant variant = setups.get(s).variant();
                        System.out.println("n=" + shape[0] + " k=" + shape[1] + " k'=" + shape[2] + " fsync "
                                + fsync + (variant.name().isEmpty() ? "" : " variant " + variant.name())
                                + " round " + round + ": " + result.toText() + "; " + perOp.toText());
                        lines.add("{\"n\":" + shape[0] + ",\"k\":" + shape[1] + ",\"kPrime\":" + shape[2]
                                + ",\"fsync\":\"" + fsync + "\",\"variant\":\"" + variant.name() + "\",\"round\":" + round + ",\"result\":"
                                + result.toJson() + ",\"cpuMicrosPerOperation\":" + perOp.toJson() + "}");
                        requireAlive(clusters.get(s), shape[0], dir);
                    }
                }
            }
        } finally {
            clusters.forEach(LocalCluster::close);
        }
        Files.write(out, lines, StandardCharsets.UTF_8);
        System.out.println("results in " + out.toAbsolutePath() + ", replica logs in " + dir);
    }

    private static void requireAlive(LocalCluster cluster, int n, Path dir) {
        for (int id = 1; id <= n; id++) {
            if (!cluster.isRunning(id)) {
                throw new IllegalStateException("replica " + id + " died (see its log under " + dir + ")");
            }
        }
    }

    /** The replicas' process ids, then this process's (the client's). */
    private static List<Long> pids(LocalCluster cluster, int n) {
        List<Long> pids = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
            int replica = id;
            pids.add(cluster.pid(id).orElseThrow(() -> new IllegalStateException("replica " + replica + " is not running")));
        }
        pids.add(ProcessHandle.current().pid());
        return pids;
    }

    /** From the sampler's interval: each replica's CPU and all replicas' JIT share, then the client's (last), and the seqs ordered. */
    private static CpuSampler.PerOperation perOperation(CpuSampler.Interval sampled, long operations) {
        long[] cpu = sampled.cpuNanos();
        long replicasJit = Arrays.stream(sampled.jitNanos(), 0, cpu.length - 1).sum();
        return CpuSampler.PerOperation.of(Arrays.copyOf(cpu, cpu.length - 1), replicasJit, cpu[cpu.length - 1],
                operations, sampled.counted());
    }

    private static LoadResult point(Membership membership, LoadSettings settings) throws Exception {
        try (RsmrClient client = RsmrClient.start(ClientSettings.defaults(membership, settings.clients()))) {
            return LoadGenerator.run(client, settings);
        }
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    /** {@code --name value} pairs. */
    static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'");
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    /** Every combination to measure, workload by workload, then size, then client count. */
    private static List<LoadSettings> points(List<LoadSettings.Workload> workloads, List<Integer> sizes,
                                             List<Integer> clients, Duration warmup, Duration duration) {
        List<LoadSettings> points = new ArrayList<>();
        for (LoadSettings.Workload workload : workloads) {
            for (int size : sizes) {
                for (int count : clients) {
                    points.add(new LoadSettings(count, size, size, warmup, duration, workload));
                }
            }
        }
        return points;
    }

    private static List<Integer> numbers(String list) {
        return Arrays.stream(list.split(",")).map(String::strip).map(Integer::parseInt).toList();
    }
}
