package io.rsmr.cli.keys;

import io.rsmr.cli.ExitCodes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rsmr keys generate FILE.pub}: one key pair. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate one Ed25519 key pair: FILE.pub and, beside it, FILE.key (mode 0600). Never overwrites.")
public final class KeysGenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE.pub", description = "Where the public key goes.")
    Path publicKey;

    @Override
    public Integer call() throws IOException {
        for (Path p : KeyPairFiles.generate(List.of(publicKey))) {
            spec.commandLine().getOut().println("wrote " + p);
        }
        return ExitCodes.OK;
    }
}
