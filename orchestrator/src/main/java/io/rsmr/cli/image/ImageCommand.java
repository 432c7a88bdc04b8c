package io.rsmr.cli.image;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code rsmr image}: sign and verify the replica VM image's manifest. */
@Command(name = "image", mixinStandardHelpOptions = true,
        description = "Sign a replica VM image's manifest with the operator's key, or verify an image against it.",
        subcommands = {ImageSignCommand.class, ImageVerifyCommand.class})
public final class ImageCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: sign or verify");
    }
}
