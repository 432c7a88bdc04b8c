package io.rsmr.cli.kv;

import io.rsmr.replica.kv.KvOperation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rsmr kv del KEY}. */
@Command(name = "del", mixinStandardHelpOptions = true, description = "Delete KEY (exit 1 if it was absent).")
public final class KvDeleteCommand extends KvRequest {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    KvOperation operation() {
        return new KvOperation.Delete(bytes(key));
    }
}
