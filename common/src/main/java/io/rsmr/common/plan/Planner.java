package io.rsmr.common.plan;

import static io.rsmr.common.config.Durations.format;

import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ReplicaSpec;
import io.rsmr.common.config.Timing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The paper's design methodology as arithmetic (sections 2.3 and 3.3): given n, k, k', the step
 * bounds of Algorithm 1, T_p, T_d and the adversary model T_exhaust(x), decide whether the PRW
 * instantiation is feasible and exhaustion-safe, and if not, what would make it so. Pure: no I/O.
 */
public final class Planner {
    private Planner() {
    }

    public static Plan plan(ClusterConfig c) {
        int n = c.n();
        int k = c.faults().k();
        int kPrime = c.faults().kPrime();
        Timing t = c.timing();
        Duration localExec = t.localExec();
        Duration exec = k == 0 ? null : localExec.multipliedBy(groups(n, k));

        List<Condition> conditions = new ArrayList<>();
        conditions.add(replicasCondition(n, k, kPrime));
        conditions.add(rejuvenatesCondition(k));
        conditions.add(execCondition(n, k, localExec, exec, t.td()));
        conditions.add(new Condition("tdBelowTp", "T_d < T_p", t.td().compareTo(t.tp()) < 0,
                "T_d = " + format(t.td()) + (t.td().compareTo(t.tp()) < 0 ? " < " : " >= ") + "T_p = " + format(t.tp())));
        conditions.add(exhaustCondition(t, kPrime));

        List<String> suggestions = conditions.stream().allMatch(Condition::holds)
                ? List.of() : suggest(c, localExec);
        return new Plan(n, k, kPrime, c.faults().minReplicas(), c.faults().minReplicasIfRecoveringByzantine(),
                c.faults().quorum(n), c.faults().replyQuorum(), localExec, exec, t.tp(), t.td(),
                conditions, suggestions, t.epoch(), schedule(c.replicas(), k, localExec));
    }

    static int groups(int n, int k) {
        return (n + k - 1) / k;
    }

    private static Condition replicasCondition(int n, int k, int kPrime) {
        int min = 3 * kPrime + 2 * k + 1;
        String detail = "n = " + n + (n >= min ? " >= " : " < ") + "3k' + 2k + 1 = 3*" + kPrime + " + 2*" + k + " + 1 = " + min;
        return new Condition("minReplicas", "n >= 3k' + 2k + 1", n >= min, detail);
    }

    private static Condition rejuvenatesCondition(int k) {
        String detail = k >= 1 ? "k = " + k + ": " + k + " replica(s) rejuvenated at a time"
                : "k = 0: no replica is ever rejuvenated, so nothing bounds how many an adversary compromises";
        return new Condition("rejuvenates", "k >= 1", k >= 1, detail);
    }

    private static Condition execCondition(int n, int k, Duration localExec, Duration exec, Duration td) {
        if (exec == null) {
            return new Condition("execWithinTd", "T_exec <= T_d", false, "T_exec is undefined with k = 0");
        }
        boolean holds = exec.compareTo(td) <= 0;
        String detail = "T_exec = ceil(" + n + "/" + k + ") x T_localexec = " + groups(n, k) + " x " + format(localExec)
                + " = " + format(exec) + (holds ? " <= " : " > ") + "T_d = " + format(td);
        return new Condition("execWithinTd", "T_exec <= T_d", holds, detail);
    }

    private static Condition exhaustCondition(Timing t, int kPrime) {
        Duration window = t.tp().plus(t.td());
        Map.Entry<Integer, Duration> bound = t.exhaustBound(kPrime + 1);
        String lhs = "T_p + T_d = " + format(t.tp()) + " + " + format(t.td()) + " = " + format(window);
        if (bound == null) {
            return new Condition("exhaustionSafe", "T_p + T_d < T_exhaust(k'+1)", false,
                    lhs + "; timing.exhaust has no entry at or below k'+1 = " + (kPrime + 1)
                            + ", so an adversary is assumed to need no time at all");
        }
        boolean holds = window.compareTo(bound.getValue()) < 0;
        String rhs = "T_exhaust(" + (kPrime + 1) + ") = " + format(bound.getValue())
                + (bound.getKey() == kPrime + 1 ? "" : " (bounded by exhaust[" + bound.getKey() + "])");
        return new Condition("exhaustionSafe", "T_p + T_d < T_exhaust(k'+1)", holds, lhs + (holds ? " < " : " >= ") + rhs);
    }

    /** Steps 2 and 3 of the methodology: raise n, move T_p and T_d, or pick the k' the adversary forces. */
    private static List<String> suggest(ClusterConfig c, Duration localExec) {
        List<String> out = new ArrayList<>();
        int k = c.faults().k();
        int kPrime = c.faults().kPrime();
        Timing t = c.timing();
        if (k == 0) {
            out.add("set faults.k to 1 or more: with k = 1 a round rejuvenates one replica at a time");
            return out;
        }
        int nMin = c.faults().minReplicas();
        if (c.n() < nMin) {
            out.add("use at least " + nMin + " replicas (3k' + 2k + 1 with k = " + k + ", k' = " + kPrime + ")");
        }
        int n = Math.max(c.n(), nMin);
        Duration exec = localExec.multipliedBy(groups(n, k));
        Map.Entry<Integer, Duration> bound = t.exhaustBound(kPrime + 1);
        out.add(timingRange(exec, bound, kPrime, n));
        int forced = adversaryReach(t, t.tp().plus(t.td()));
        if (forced < 0) {
            out.add("the adversary model gives no x with T_exhaust(x) > T_p + T_d = " + format(t.tp().plus(t.td()))
                    + ": shorten T_p + T_d or extend timing.exhaust");
        } else if (forced > kPrime) {
            out.add("with T_p = " + format(t.tp()) + " and T_d = " + format(t.td()) + " an adversary can compromise up to "
                    + forced + " replica(s): set faults.kPrime to " + forced + " (then n >= "
                    + (3 * forced + 2 * k + 1) + ")");
        }
        return out;
    }

    private static String timingRange(Duration exec, Map.Entry<Integer, Duration> bound, int kPrime, int n) {
        String td = "T_d >= T_exec = " + format(exec) + " (with n = " + n + ")";
        if (bound == null) {
            return "choose " + td + " and T_d < T_p; add timing.exhaust for x <= " + (kPrime + 1) + " to bound T_p";
        }
        Duration exhaust = bound.getValue();
        Duration tdMax = exhaust.dividedBy(2);
        if (exec.compareTo(tdMax) >= 0) {
            return "no T_d works with k' = " + kPrime + ": T_exec = " + format(exec) + " is not below T_exhaust("
                    + (kPrime + 1) + ")/2 = " + format(tdMax) + "; shorten the step bounds, or raise k' (more replicas)";
        }
        return "choose " + td + " and T_d < " + format(tdMax) + " (T_exhaust(" + (kPrime + 1) + ")/2), then T_d < T_p < "
                + format(exhaust) + " - T_d";
    }

    /**
     * The most replicas an adversary can compromise within {@code window}: the largest x whose lower
     * bound of T_exhaust(x) is ≤ window. A missing x is bounded by the entry below it (or by zero),
     * so the answer is one less than the first entry that exceeds the window; −1 when none does.
     */
    static int adversaryReach(Timing t, Duration window) {
        for (Map.Entry<Integer, Duration> e : t.exhaust().entrySet()) {
            if (e.getValue().compareTo(window) > 0) {
                return e.getKey() - 1;
            }
        }
        return -1;
    }

    private static List<Slot> schedule(List<ReplicaSpec> replicas, int k, Duration localExec) {
        List<Slot> slots = new ArrayList<>();
        if (k == 0) {
            return slots;
        }
        for (int g = 0; g * k < replicas.size(); g++) {
            List<Integer> ids = replicas.subList(g * k, Math.min(replicas.size(), (g + 1) * k)).stream()
                    .map(ReplicaSpec::id).toList();
            slots.add(new Slot(g, ids, localExec.multipliedBy(g), localExec.multipliedBy(g + 1L)));
        }
        return slots;
    }
}
