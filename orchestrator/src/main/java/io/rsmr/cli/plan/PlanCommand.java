package io.rsmr.cli.plan;

import static io.rsmr.common.config.Durations.format;
import static io.rsmr.common.config.Durations.seconds;

import io.rsmr.cli.ExitCodes;
import io.rsmr.cli.options.ConfigOption;
import io.rsmr.cli.options.OutputOption;
import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ConfigException;
import io.rsmr.common.config.Timing;
import io.rsmr.common.plan.Condition;
import io.rsmr.common.plan.Plan;
import io.rsmr.common.plan.Planner;
import io.rsmr.common.plan.Slot;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code rsmr plan}: the paper's design methodology applied to a cluster config. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Check that a cluster config is feasible and exhaustion-safe (the paper's design methodology):",
            "n >= 3k'+2k+1, T_exec = ceil(n/k) x T_localexec <= T_d < T_p, T_p + T_d < T_exhaust(k'+1);",
            "print the quorums, the schedule of one round, and what would make an infeasible plan feasible."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:feasible", "1:infeasible", "2:bad usage or bad config"})
public final class PlanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Mixin
    OutputOption output;

    @Override
    public Integer call() throws ConfigException {
        ClusterConfig c = config.load();
        Plan plan = Planner.plan(c);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            OutputOption.printJson(out, json(c, plan));
        } else {
            printText(out, c, plan);
        }
        return plan.feasible() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    static Map<String, Object> json(ClusterConfig c, Plan p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cluster", c.cluster());
        m.put("feasible", p.feasible());
        m.put("n", p.n());
        m.put("k", p.k());
        m.put("kPrime", p.kPrime());
        m.put("minReplicas", p.minReplicas());
        m.put("minReplicasIfRecoveringByzantine", p.minReplicasIfRecoveringByzantine());
        m.put("quorum", p.quorum());
        m.put("replyQuorum", p.replyQuorum());
        m.put("tLocalExecSeconds", seconds(p.localExec()));
        m.put("tExecSeconds", p.exec() == null ? null : seconds(p.exec()));
        m.put("tdSeconds", seconds(p.td()));
        m.put("tpSeconds", seconds(p.tp()));
        m.put("conditions", p.conditions().stream().map(PlanCommand::json).toList());
        m.put("suggestions", p.suggestions());
        m.put("roundStart", p.roundStart().toString());
        m.put("schedule", p.schedule().stream().map(s -> json(p, s)).toList());
        return m;
    }

    private static Map<String, Object> json(Condition c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("formula", c.formula());
        m.put("holds", c.holds());
        m.put("detail", c.detail());
        return m;
    }

    private static Map<String, Object> json(Plan p, Slot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("group", s.group());
        m.put("replicas", s.replicas());
        m.put("startOffsetSeconds", seconds(s.start()));
        m.put("endOffsetSeconds", seconds(s.end()));
        m.put("start", p.roundStart().plus(s.start()).toString());
        m.put("end", p.roundStart().plus(s.end()).toString());
        return m;
    }

    private static void printText(PrintWriter out, ClusterConfig c, Plan p) {
        out.printf("Cluster %s: n = %d replicas, k = %d rejuvenated at once, k' = %d Byzantine tolerated -> %s%n%n",
                c.cluster(), p.n(), p.k(), p.kPrime(), p.feasible() ? "FEASIBLE" : "NOT FEASIBLE");
        out.println("Fault model");
        out.printf("  replicas needed    %d = 3k' + 2k + 1   (%d = 3(k+k') + 1 if rejuvenating replicas could be Byzantine)%n",
                p.minReplicas(), p.minReplicasIfRecoveringByzantine());
        out.printf("  quorum q           %d = n - k - k'%n", p.quorum());
        out.printf("  client replies     %d = k' + 1 matching%n%n", p.replyQuorum());
        printTiming(out, c.timing(), p);
        out.println("Conditions");
        for (Condition cond : p.conditions()) {
            out.printf("  [%s] %-30s %s%n", cond.holds() ? " ok " : "FAIL", cond.formula(), cond.detail());
        }
        out.println();
        printSchedule(out, p);
        if (!p.suggestions().isEmpty()) {
            out.println("What would make it feasible");
            p.suggestions().forEach(s -> out.println("  - " + s));
        }
        out.flush();
    }

    private static void printTiming(PrintWriter out, Timing t, Plan p) {
        out.println("Timing");
        out.println("  T_localexec = T_shutdown + 2 T_checkcode + 2 T_restorecode + T_boot + T_transfer");
        out.printf("              = %s + 2 x %s + 2 x %s + %s + %s = %s%n", format(t.shutdown()), format(t.checkCode()),
                format(t.restoreCode()), format(t.boot()), format(t.transfer()), format(p.localExec()));
        out.printf("  T_exec      = ceil(n/k) x T_localexec = %s%n", p.exec() == null ? "undefined (k = 0)"
                : p.groups() + " x " + format(p.localExec()) + " = " + format(p.exec()));
        out.printf("  T_d = %s, T_p = %s, T_exhaust = %s%n%n", format(p.td()), format(p.tp()),
                t.exhaust().entrySet().stream().map(e -> e.getKey() + ": " + format(e.getValue()))
                        .collect(Collectors.joining(", ", "{", "}")));
    }

    private static void printSchedule(PrintWriter out, Plan p) {
        List<Slot> slots = p.schedule();
        if (slots.isEmpty()) {
            out.println("Schedule: none (k = 0)\n");
            return;
        }
        out.printf("Schedule of one round (round r starts at %s + r x T_p)%n", p.roundStart());
        out.printf("  %-6s %-12s %-12s %-12s%n", "group", "replicas", "start", "end");
        for (Slot s : slots) {
            out.printf("  %-6d %-12s %-12s %-12s%n", s.group(),
                    s.replicas().stream().map(String::valueOf).collect(Collectors.joining(",")),
                    "+" + format(s.start()), "+" + format(s.end()));
        }
        out.println();
    }
}
