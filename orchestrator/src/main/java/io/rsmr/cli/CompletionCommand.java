package io.rsmr.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code rsmr completion}: a bash/zsh completion script, e.g. {@code source <(rsmr completion)}. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = "Print a bash (and zsh) completion script for rsmr; load it with: source <(rsmr completion)")
public final class CompletionCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().print(AutoComplete.bash("rsmr", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
    }
}
