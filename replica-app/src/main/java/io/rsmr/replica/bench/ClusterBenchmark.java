package io.rsmr.replica.bench;

import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.node.ByzantineMode;
import io.rsmr.replica.node.LocalCluster;
import io.rsmr.replica.transport.Membership;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts a local cluster of replica JVMs (each {@code -Xmx128m}) and runs closed-loop load
 * against it for every combination of client count and request/reply size, printing each
 * result and writing them all as JSON lines:
 *
 * <pre>
 * java -cp rsmr-replica.jar io.rsmr.replica.bench.ClusterBenchmark --n 4 --k 0 --kprime 1 \
 *      --clients 16,64 --sizes 0,1024 --warmup 10 --duration 20 --out results.jsonl [--dir DIR] [--jvm "-Xmx128m ..."]
 * </pre>
 */
public final class ClusterBenchmark {
    private ClusterBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        int n = Integer.parseInt(options.getOrDefault("n", "4"));
        int k = Integer.parseInt(options.getOrDefault("k", "0"));
        int kPrime = Integer.parseInt(options.getOrDefault("kprime", "1"));
        List<Integer> clients = numbers(options.getOrDefault("clients", "16,64"));
        List<Integer> sizes = numbers(options.getOrDefault("sizes", "0,1024"));
        Duration warmup = Duration.ofSeconds(Long.parseLong(options.getOrDefault("warmup", "10")));
        Duration duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "20")));
        List<String> jvm = Arrays.asList(options.getOrDefault("jvm", "-Xmx128m").split(" "));
        Path dir = Path.of(options.getOrDefault("dir", Files.createTempDirectory("rsmr-bench").toString()));
        Path out = Path.of(options.getOrDefault("out", "replica-throughput.jsonl"));
        LocalCluster.Spec spec = new LocalCluster.Spec("bench", n, k, kPrime, jvm, Map.<Integer, ByzantineMode>of());
        List<String> lines = new ArrayList<>();
        try (LocalCluster cluster = LocalCluster.create(dir, spec)) {
            cluster.startAll();
            Membership membership = Membership.of(new ClusterConfigLoader().load(cluster.configFile()));
            for (int size : sizes) {
                for (int count : clients) {
                    LoadResult result = point(membership, new LoadSettings(count, size, size, warmup, duration,
                            LoadSettings.Workload.ECHO));
                    System.out.println("n=" + n + " k=" + k + " k'=" + kPrime + ": " + result.toText());
                    lines.add("{\"n\":" + n + ",\"k\":" + k + ",\"kPrime\":" + kPrime + ",\"result\":" + result.toJson() + "}");
                    for (int id = 1; id <= n; id++) {
                        if (!cluster.isRunning(id)) {
                            throw new IllegalStateException("replica " + id + " died (see " + dir + "/replica-" + id + ".log)");
                        }
                    }
                }
            }
        }
        Files.write(out, lines, StandardCharsets.UTF_8);
        System.out.println("results in " + out.toAbsolutePath() + ", replica logs in " + dir);
    }

    private static LoadResult point(Membership membership, LoadSettings settings) throws Exception {
        try (RsmrClient client = RsmrClient.start(ClientSettings.defaults(membership, settings.clients()))) {
            return LoadGenerator.run(client, settings);
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'");
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    private static List<Integer> numbers(String list) {
        return Arrays.stream(list.split(",")).map(String::strip).map(Integer::parseInt).toList();
    }
}
