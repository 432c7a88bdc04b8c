package io.rsmr.common.plan;

import java.time.Duration;
import java.util.List;

/**
 * One group's slot in a rejuvenation round: group g starts at round start + g·T_localexec.
 *
 * @param group    0-based group number
 * @param replicas ids of the replicas rejuvenated together (at most k)
 * @param start    offset of the slot's start from the round's start
 * @param end      offset of the slot's end (its deadline) from the round's start
 */
public record Slot(int group, List<Integer> replicas, Duration start, Duration end) {
    public Slot {
        replicas = List.copyOf(replicas);
    }
}
