package io.rsmr.cli.kv;

import io.rsmr.replica.kv.KvOperation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rsmr kv scan PREFIX [--after KEY] [--limit N]}. */
@Command(name = "scan", mixinStandardHelpOptions = true,
        description = "List the keys starting with PREFIX and their values, in byte order, one per line (tab between).")
public final class KvScanCommand extends KvRequest {
    @Parameters(index = "0", arity = "0..1", defaultValue = "", paramLabel = "PREFIX")
    String prefix;

    @Option(names = "--after", defaultValue = "", paramLabel = "KEY", description = "Start after this key (to page).")
    String after;

    @Option(names = "--limit", defaultValue = "100", paramLabel = "N", description = "At most N entries (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    KvOperation operation() {
        if (limit < 1) {
            throw new io.rsmr.cli.UsageException("--limit must be 1 or more, got " + limit);
        }
        return new KvOperation.Scan(bytes(prefix), bytes(after), limit);
    }
}
