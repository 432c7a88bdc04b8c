package io.rsmr.cli.kv;

import io.rsmr.replica.kv.KvOperation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rsmr kv cas KEY [--expect OLD | --absent] [NEW | --delete]}. */
@Command(name = "cas", mixinStandardHelpOptions = true,
        description = "Compare-and-set: set KEY to NEW (or delete it) only if its value is OLD (or it is absent). "
                + "Exit 1 and print the current value when it is not.")
public final class KvCasCommand extends KvRequest {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NEW", description = "The new value (omit with --delete).")
    String newValue;

    @Option(names = "--expect", paramLabel = "OLD", description = "The value KEY must have; without it, KEY must be absent.")
    String expected;

    @Option(names = "--delete", description = "Delete KEY instead of setting it.")
    boolean delete;

    @Override
    KvOperation operation() {
        if (delete == (newValue != null)) {
            throw new io.rsmr.cli.UsageException("give either NEW or --delete");
        }
        return new KvOperation.CompareAndSet(bytes(key), expected == null ? null : bytes(expected),
                delete ? null : bytes(newValue));
    }
}
