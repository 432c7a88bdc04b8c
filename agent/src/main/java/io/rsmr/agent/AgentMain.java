package io.rsmr.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.rsmr.agent.control.ControlServer;
import io.rsmr.agent.journal.JournalVerifier;
import io.rsmr.agent.rejuvenation.RejuvenationReport;
import io.rsmr.agent.rejuvenation.Rejuvenator;
import io.rsmr.common.crypto.KeyFileException;
import io.rsmr.common.crypto.KeyFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rsmr-agent}: the daemon and the agent's local operator commands. Exit codes: 0 ok, 1 failed, 2 bad usage or config. */
@Command(name = "rsmr-agent", mixinStandardHelpOptions = true,
        description = "The local State Machine Proactive Recovery Wormhole of one hypervisor host.",
        subcommands = {AgentMain.Run.class, AgentMain.Rejuvenate.class, AgentMain.VerifyJournal.class,
            AgentMain.ClearFailSafe.class, AgentMain.Status.class, AgentMain.Pause.class, AgentMain.Resume.class,
            AgentMain.OneOff.class})
public final class AgentMain implements Runnable {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cl = new CommandLine(new AgentMain());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("rsmr-agent " + cmd.getCommandName() + ": "
                    + (e instanceof Agent.StartupException ? "refusing to start: " : "") + e.getMessage());
            return e instanceof Agent.StartupException ? USAGE : FAILED;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand (see --help)");
    }

    /** A control command to the agent running with these settings (its control socket, root only). */
    abstract static class Control implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = {"-s", "--settings"}, required = true, paramLabel = "FILE",
                description = "This host's agent settings (agent.yaml): they say where the agent listens.")
        Path settings;

        @Option(names = "--by", paramLabel = "NAME", description = "Who asks, for the journal and the alerts (default: $USER).")
        String by = System.getProperty("user.name");

        abstract Map<String, Object> request();

        @Override
        public Integer call() throws IOException {
            Path socket = Agent.controlSocket(AgentSettings.load(settings));
            JsonNode answer;
            try {
                answer = ControlServer.send(socket, request());
            } catch (IOException e) {
                throw new IOException("no agent answers on " + socket + " (is `rsmr-agent run` running with these settings?): "
                        + e.getMessage(), e);
            }
            if (!answer.path("ok").asBoolean()) {
                spec.commandLine().getErr().println("rsmr-agent " + spec.name() + ": " + answer.path("error").asText());
                return FAILED;
            }
            spec.commandLine().getOut().println(answer.toPrettyString());
            return OK;
        }

        Map<String, Object> command(String name, Object... more) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("command", name);
            m.put("by", by);
            for (int i = 0; i + 1 < more.length; i += 2) {
                m.put((String) more[i], more[i + 1]);
            }
            return m;
        }
    }

    @Command(name = "status", description = "The running agent's rounds: paused or not, and per round the planned and "
            + "actual start and end of every group with its margins.")
    static final class Status extends Control {
        @Override
        Map<String, Object> request() {
            return command("status");
        }
    }

    @Command(name = "pause", description = "Stop starting groups on this agent (send it to every agent). "
            + "EXHAUSTION-SAFETY IS SUSPENDED until resumed; an alert goes out now and when the pause outlasts T_p.")
    static final class Pause extends Control {
        @Override
        Map<String, Object> request() {
            return command("pause");
        }
    }

    @Command(name = "resume", description = "Resume rounds from a round that has not begun (the same number on every agent).")
    static final class Resume extends Control {
        @Option(names = "--from-round", required = true, paramLabel = "N", description = "The first round to run again.")
        long fromRound;

        @Override
        Map<String, Object> request() {
            return command("resume", "fromRound", fromRound);
        }
    }

    @Command(name = "one-off", description = "Rejuvenate one of this host's replicas now, outside the schedule; it starts "
            + "only with every agent's grant, so never more than k replicas are down.")
    static final class OneOff extends Control {
        @Option(names = "--replica", required = true, paramLabel = "ID", description = "The replica (one of this host's).")
        int replica;

        @Override
        Map<String, Object> request() {
            return command("one-off", "replica", replica);
        }
    }

    /** The options every command that runs the agent needs. */
    static final class AgentFiles {
        @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The cluster config.")
        Path config;

        @Option(names = {"-s", "--settings"}, required = true, paramLabel = "FILE",
                description = "This host's agent settings (agent.yaml).")
        Path settings;

        Agent start() throws Agent.StartupException {
            return Agent.start(config, settings, System.out);
        }
    }

    @Command(name = "run", description = "Run the agent: join the rejuvenation rounds agreed with the other agents "
            + "over the management LAN (a rejuvenation its crash interrupted is run again), serving metrics on the "
            + "management address. Start it at least a few seconds before the cluster's epoch.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Mixin
        AgentFiles files;

        @Override
        public Integer call() throws Exception {
            try (Agent agent = files.start()) {
                agent.serveMetrics();
                agent.startRounds();
                Thread.currentThread().join();
            }
            return OK;
        }
    }

    @Command(name = "rejuvenate", description = "Finish an interrupted rejuvenation, then rejuvenate one replica now "
            + "(once; for operators and tests). Prints the result as one JSON line.")
    static final class Rejuvenate implements Callable<Integer> {
        @CommandLine.Mixin
        AgentFiles files;

        @Option(names = "--replica", required = true, description = "The replica id (one of this host's).")
        int replica;

        @Override
        public Integer call() throws Exception {
            try (Agent agent = files.start()) {
                Map<Integer, RejuvenationReport> redone = agent.finishInterrupted();
                Optional<RejuvenationReport> report = redone.containsKey(replica)
                        ? Optional.of(redone.get(replica)) : agent.rejuvenate(replica);
                agent.events().log().info("rejuvenate-result", report
                        .map(r -> Rejuvenator.reportFields(replica, agent.nextEpoch(replica) - 1, r))
                        .orElse(Map.of("replica", replica, "refused", true)));
                return report.map(r -> r.succeeded() ? OK : FAILED).orElse(FAILED);
            }
        }
    }

    @Command(name = "verify-journal", description = "Check that the audit journal is intact: every record signed by "
            + "the agent's key, in sequence, each linked to the one before. Prints the head to note for later.")
    static final class VerifyJournal implements Callable<Integer> {
        @Option(names = "--journal", required = true, paramLabel = "FILE")
        Path journal;

        @Option(names = "--public-key", required = true, paramLabel = "FILE", description = "The agent's public key file.")
        Path publicKey;

        @Option(names = "--expect-head", paramLabel = "HASH",
                description = "The head hash noted earlier: a journal cut short no longer ends with it.")
        String expectHead;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException, KeyFileException {
            JournalVerifier.Result r = JournalVerifier.verify(journal, KeyFiles.readPublicKey(publicKey));
            PrintWriter out = spec.commandLine().getOut();
            r.problems().forEach(out::println);
            boolean headOk = expectHead == null || r.headHash().equals(expectHead);
            if (!headOk) {
                out.println("the journal's head is " + r.headHash() + ", not the expected " + expectHead
                        + " (records were cut off the end, or it is another journal)");
            }
            out.println((r.ok() && headOk ? "intact: " : "NOT intact: ") + r.records() + " records, head seq "
                    + r.headSeq() + " hash " + r.headHash());
            out.flush();
            return r.ok() && headOk ? OK : FAILED;
        }
    }

    @Command(name = "clear-failsafe", description = "Operator: lift the fail-safe state (replica VMs held off, rounds "
            + "halted) after dealing with its cause. Journaled with the reason.")
    static final class ClearFailSafe implements Callable<Integer> {
        @Option(names = {"-s", "--settings"}, required = true, paramLabel = "FILE", description = "This host's agent settings.")
        Path settings;

        @Option(names = "--reason", required = true, description = "What was done about the cause (goes to the journal).")
        String reason;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            boolean cleared = Agent.clearFailSafe(settings, reason, System.out);
            spec.commandLine().getOut().println(cleared ? "fail-safe state cleared" : "no fail-safe state was in force");
            spec.commandLine().getOut().flush();
            return OK;
        }
    }
}
