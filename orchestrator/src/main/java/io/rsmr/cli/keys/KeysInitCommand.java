package io.rsmr.cli.keys;

import io.rsmr.cli.ExitCodes;
import io.rsmr.cli.options.ConfigOption;
import io.rsmr.cli.options.OutputOption;
import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code rsmr keys init -c cluster.yaml}: every key pair the cluster config names. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Generate the operator's key pair and every agent's, at the paths the cluster config gives",
            "(keys.operatorPublicKey, keys.agentPublicKeys); each private key goes beside its .pub as .key.",
            "Nothing is overwritten: if any of the files exists, nothing is written."})
public final class KeysInitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Mixin
    OutputOption output;

    @Override
    public Integer call() throws ConfigException, IOException {
        ClusterConfig c = config.load();
        List<Path> publicKeys = new ArrayList<>();
        publicKeys.add(c.keys().operatorPublicKey());
        publicKeys.addAll(c.keys().agentPublicKeys().values());
        List<Path> written = KeyPairFiles.generate(publicKeys);
        if (output.json()) {
            OutputOption.printJson(spec.commandLine().getOut(), Map.of("written", written.stream().map(Path::toString).toList()));
        } else {
            written.forEach(p -> spec.commandLine().getOut().println("wrote " + p));
            spec.commandLine().getOut().println("Keep the .key files secret: the operator's signs images; each agent's "
                    + "belongs on its host only.");
        }
        return ExitCodes.OK;
    }
}
