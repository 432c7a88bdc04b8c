package io.rsmr.cli.bench;

import io.rsmr.cli.ExitCodes;
import io.rsmr.cli.UsageException;
import io.rsmr.cli.options.ConfigOption;
import io.rsmr.cli.options.OutputOption;
import io.rsmr.replica.bench.LoadGenerator;
import io.rsmr.replica.bench.LoadResult;
import io.rsmr.replica.bench.LoadSettings;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.transport.Membership;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rsmr bench}: closed-loop load against a running cluster. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run closed-loop clients against the cluster (each sends its next request when the last one "
                + "completed); print throughput and p50/p99/p99.9 latency of the measured interval.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Mixin
    OutputOption output;

    @Option(names = "--clients", defaultValue = "16", description = "Closed-loop clients (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--request-bytes", defaultValue = "0", description = "Payload bytes per request (default: ${DEFAULT-VALUE}).")
    int requestBytes;

    @Option(names = "--reply-bytes", defaultValue = "0", description = "Result bytes per reply, echo workload (default: ${DEFAULT-VALUE}).")
    int replyBytes;

    @Option(names = "--warmup", defaultValue = "PT10S", paramLabel = "DURATION",
            description = "Unmeasured warm-up, ISO-8601 (default: 10 s, PT10S).")
    Duration warmup;

    @Option(names = "--duration", defaultValue = "PT30S", paramLabel = "DURATION",
            description = "Measured interval, ISO-8601 (default: 30 s, PT30S).")
    Duration duration;

    @Option(names = "--workload", defaultValue = "ECHO",
            description = "ECHO: ordered, changes nothing, exact request and reply sizes; PUT: writes the payload under"
                    + " a key per client; GET: reads a key of --reply-bytes on the read fast path; GET_ORDERED: the same"
                    + " read ordered (default: ${DEFAULT-VALUE}).")
    LoadSettings.Workload workload;

    @Option(names = "--json-file", paramLabel = "FILE", description = "Also write the result as JSON to FILE.")
    Path jsonFile;

    @Override
    public Integer call() throws Exception {
        LoadSettings settings;
        try {
            settings = new LoadSettings(clients, requestBytes, replyBytes, warmup, duration, workload);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Membership membership = Membership.of(config.load());
        LoadResult result;
        try (RsmrClient client = RsmrClient.start(ClientSettings.defaults(membership, clients))) {
            result = LoadGenerator.run(client, settings);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(output.json() ? result.toJson() : result.toText());
        out.flush();
        if (jsonFile != null) {
            Files.writeString(jsonFile, result.toJson() + "\n", StandardCharsets.UTF_8);
        }
        return result.timeouts() == 0 && result.operations() > 0 ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
