package io.rsmr.cli.keys;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code rsmr keys}: the Ed25519 keys of the operator and the agents. */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Generate the Ed25519 keys of the operator (signs image manifests) and of the agents "
                + "(certify replica keys, sign round messages).",
        subcommands = {KeysInitCommand.class, KeysGenerateCommand.class})
public final class KeysCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a subcommand: init or generate");
    }
}
