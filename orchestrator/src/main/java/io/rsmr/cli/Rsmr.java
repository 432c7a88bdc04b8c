package io.rsmr.cli;

import io.rsmr.cli.bench.BenchCommand;
import io.rsmr.cli.image.ImageCommand;
import io.rsmr.cli.keys.KeysCommand;
import io.rsmr.cli.kv.KvCommand;
import io.rsmr.cli.plan.PlanCommand;
import io.rsmr.common.config.ConfigException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The root command: {@code rsmr <subcommand>}. */
@Command(name = "rsmr",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Operate a resilient Byzantine fault-tolerant replicated service whose replicas are "
                + "proactively rejuvenated by trusted agents on their hypervisor hosts.",
        subcommands = {PlanCommand.class, KvCommand.class, BenchCommand.class, ImageCommand.class, KeysCommand.class,
            CompletionCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:the operation failed, or its answer is no (e.g. an infeasible plan)",
                "2:bad usage or bad config; nothing was done"})
public final class Rsmr implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces of unexpected errors.")
    boolean verbose;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand (see rsmr --help)");
    }

    /** Runs {@code rsmr args} in this process, writing to {@code out} and {@code err}; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The command tree, configured once: errors become exit codes here and nowhere else. */
    public static CommandLine commandLine() {
        Rsmr root = new Rsmr();
        CommandLine cl = new CommandLine(root);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> handle(e, cmd, root.verbose));
        cl.setParameterExceptionHandler(Rsmr::handleUsage);
        return cl;
    }

    private static int handle(Exception e, CommandLine cmd, boolean verbose) {
        PrintWriter err = cmd.getErr();
        if (e instanceof ConfigException ce) {
            err.println(ce.getMessage());
            err.println("rsmr: " + ce.errors().size() + " error(s) in " + ce.fileName() + "; nothing was done");
            return ExitCodes.USAGE;
        }
        if (e instanceof UsageException) {
            err.println("rsmr " + cmd.getCommandName() + ": " + e.getMessage());
            return ExitCodes.USAGE;
        }
        err.println("rsmr " + cmd.getCommandName() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        if (verbose) {
            e.printStackTrace(err);
        }
        return ExitCodes.FAILED;
    }

    private static int handleUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("rsmr: " + e.getMessage());
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            err.println("See '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
        }
        return ExitCodes.USAGE;
    }
}
