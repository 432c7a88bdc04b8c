package io.rsmr.agent.rounds;

import java.util.List;

/**
 * One group of one round as this agent saw it: planned and actual start and end, and the margins
 * to the slot's end and to the round's deadline T_d (negative = late). Times are this agent's clock
 * for its own replicas and the origin's clock otherwise; unknown times are −1.
 */
public record GroupRecord(long round, int group, List<Integer> replicas, long plannedStartMillis, long plannedEndMillis,
                          long actualStartMillis, long actualEndMillis, long roundDeadlineMillis, boolean ok) {
    public GroupRecord {
        replicas = List.copyOf(replicas);
    }

    public long slotMarginMillis() {
        return actualEndMillis < 0 ? Long.MIN_VALUE : plannedEndMillis - actualEndMillis;
    }

    public long deadlineMarginMillis() {
        return actualEndMillis < 0 ? Long.MIN_VALUE : roundDeadlineMillis - actualEndMillis;
    }
}
