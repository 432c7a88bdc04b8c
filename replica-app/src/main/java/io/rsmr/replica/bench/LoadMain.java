package io.rsmr.replica.bench;

import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.transport.Membership;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Closed-loop load against a running cluster:
 *
 * <pre>
 * java -cp rsmr-replica.jar io.rsmr.replica.bench.LoadMain --config cluster.yaml --clients 64 \
 *      --request-bytes 0 --reply-bytes 0 --warmup 10 --duration 30 [--workload echo|put] [--json result.json]
 * </pre>
 */
public final class LoadMain {
    private LoadMain() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        if (!options.containsKey("config")) {
            System.err.println("usage: LoadMain --config FILE [--clients N] [--request-bytes N] [--reply-bytes N]"
                    + " [--warmup S] [--duration S] [--workload echo|put] [--json FILE]");
            System.exit(2);
        }
        Membership membership = Membership.of(new ClusterConfigLoader().load(Path.of(options.get("config"))));
        LoadSettings settings = new LoadSettings(Integer.parseInt(options.getOrDefault("clients", "16")),
                Integer.parseInt(options.getOrDefault("request-bytes", "0")),
                Integer.parseInt(options.getOrDefault("reply-bytes", "0")),
                Duration.ofSeconds(Long.parseLong(options.getOrDefault("warmup", "10"))),
                Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "30"))),
                LoadSettings.Workload.valueOf(options.getOrDefault("workload", "echo").toUpperCase(Locale.ROOT)));
        LoadResult result;
        try (RsmrClient client = RsmrClient.start(ClientSettings.defaults(membership, settings.clients()))) {
            result = LoadGenerator.run(client, settings);
        }
        System.out.println(result.toText());
        if (options.containsKey("json")) {
            Files.writeString(Path.of(options.get("json")), result.toJson() + "\n", StandardCharsets.UTF_8);
        }
    }
}
