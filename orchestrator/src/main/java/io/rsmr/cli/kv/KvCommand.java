package io.rsmr.cli.kv;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code rsmr kv}: the replicated key-value store, through the cluster's replicas. */
@Command(name = "kv", mixinStandardHelpOptions = true,
        description = "Read and write the replicated key-value store. Each command is one request, sent to every "
                + "replica and accepted on k'+1 matching replies. Keys and values are UTF-8 text.",
        subcommands = {KvGetCommand.class, KvPutCommand.class, KvDeleteCommand.class, KvCasCommand.class,
                KvScanCommand.class})
public final class KvCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a subcommand: get, put, del, cas or scan");
    }
}
