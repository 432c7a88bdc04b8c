package io.rsmr.common.plan;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The outcome of the design methodology M_exhaustion-safe (Definition 2.5) for one cluster config.
 *
 * @param n            replicas configured
 * @param k            replicas rejuvenated at once
 * @param kPrime       Byzantine replicas tolerated between rejuvenations
 * @param minReplicas  3k' + 2k + 1
 * @param minReplicasIfRecoveringByzantine 3(k + k') + 1, had the rejuvenating replicas been Byzantine too
 * @param quorum       q = n − k − k'
 * @param replyQuorum  k' + 1
 * @param localExec    T_localexec
 * @param exec         T_exec = ⌈n/k⌉·T_localexec, or null when k = 0 (nothing is rejuvenated)
 * @param tp           T_p
 * @param td           T_d
 * @param conditions   every condition, in the paper's order
 * @param suggestions  what would make an infeasible plan feasible (empty when feasible)
 * @param roundStart   start of round 0 (the config's epoch)
 * @param schedule     the slots of one round
 */
public record Plan(int n, int k, int kPrime, int minReplicas, int minReplicasIfRecoveringByzantine, int quorum,
                   int replyQuorum, Duration localExec, Duration exec, Duration tp, Duration td,
                   List<Condition> conditions, List<String> suggestions, Instant roundStart, List<Slot> schedule) {
    public Plan {
        conditions = List.copyOf(conditions);
        suggestions = List.copyOf(suggestions);
        schedule = List.copyOf(schedule);
    }

    public boolean feasible() {
        return conditions.stream().allMatch(Condition::holds);
    }

    /** ⌈n/k⌉, the number of groups in a round (0 when k = 0). */
    public int groups() {
        return schedule.size();
    }
}
