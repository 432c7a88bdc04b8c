package io.rsmr.cli.kv;

import io.rsmr.replica.kv.KvOperation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rsmr kv get KEY}. */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Print the value of KEY (exit 1 if absent).")
public final class KvGetCommand extends KvRequest {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    KvOperation operation() {
        return new KvOperation.Get(bytes(key));
    }
}
