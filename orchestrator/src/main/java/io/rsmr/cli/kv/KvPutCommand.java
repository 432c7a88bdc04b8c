package io.rsmr.cli.kv;

import io.rsmr.replica.kv.KvOperation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rsmr kv put KEY VALUE}. */
@Command(name = "put", mixinStandardHelpOptions = true, description = "Set KEY to VALUE.")
public final class KvPutCommand extends KvRequest {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE")
    String value;

    @Override
    KvOperation operation() {
        return new KvOperation.Put(bytes(key), bytes(value));
    }
}
