package io.rsmr.cli.kv;

import io.rsmr.cli.ExitCodes;
import io.rsmr.cli.options.ConfigOption;
import io.rsmr.cli.options.OutputOption;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.KvClient;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvOperation;
import io.rsmr.replica.kv.KvResult;
import io.rsmr.replica.transport.Membership;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every {@code rsmr kv} command shares: the config, the output format, the timeout, running
 * one operation and printing its result. Exit code 0 when the operation did what was asked
 * (a value found, a put applied, a compare-and-set that matched), 1 otherwise.
 */
abstract class KvRequest implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Mixin
    OutputOption output;

    @Option(names = "--timeout-ms", defaultValue = "30000", paramLabel = "MILLIS",
            description = "Give up when no k'+1 matching replies came within this time (default: ${DEFAULT-VALUE}).")
    long timeoutMillis;

    @Option(names = "--ordered", description = "Run a read (get, scan) through the ordering protocol instead of"
            + " the read fast path (both give linearizable results; the fast path skips ordering when it can).")
    boolean ordered;

    /** The operation this command runs. */
    abstract KvOperation operation();

    @Override
    public final Integer call() throws Exception {
        Membership membership = Membership.of(config.load());
        try (RsmrClient client = RsmrClient.start(ClientSettings.defaults(membership, 1)
                .withRequestTimeoutMillis(timeoutMillis))) {
            KvClient kv = new KvClient(client, KvLimits.defaults());
            KvResult result = ordered ? kv.runOrdered(operation()) : kv.run(operation());
            print(result);
            return result instanceof KvResult.Value || result instanceof KvResult.Ok || result instanceof KvResult.Entries
                    ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private void print(KvResult result) {
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            OutputOption.printJson(out, json(result));
            return;
        }
        if (result instanceof KvResult.Value value) {
            out.println(text(value.value()));
        } else if (result instanceof KvResult.Entries entries) {
            entries.entries().forEach(e -> out.println(text(e.key()) + "\t" + text(e.value())));
            if (entries.more()) {
                out.println("(more: continue with --after " + text(entries.entries().get(entries.entries().size() - 1).key()) + ")");
            }
        } else if (result instanceof KvResult.CasFailed failed) {
            out.println("not set: the value is " + (failed.current() == null ? "absent" : "'" + text(failed.current()) + "'"));
        } else if (result instanceof KvResult.Error error) {
            out.println("refused: " + error.message());
        } else {
            out.println(result instanceof KvResult.Ok ? "ok" : "not found");
        }
        out.flush();
    }

    private static Map<String, Object> json(KvResult result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("status", result.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT));
        if (result instanceof KvResult.Value value) {
            json.put("value", text(value.value()));
        } else if (result instanceof KvResult.Entries entries) {
            List<Map<String, String>> list = entries.entries().stream()
                    .map(e -> Map.of("key", text(e.key()), "value", text(e.value()))).toList();
            json.put("entries", list);
            json.put("more", entries.more());
        } else if (result instanceof KvResult.CasFailed failed) {
            json.put("current", failed.current() == null ? null : text(failed.current()));
        } else if (result instanceof KvResult.Error error) {
            json.put("message", error.message());
        }
        return json;
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
