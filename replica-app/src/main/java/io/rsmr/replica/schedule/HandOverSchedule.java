package io.rsmr.replica.schedule;

import io.rsmr.common.plan.Plan;
import io.rsmr.common.plan.Slot;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * When a replica should hand over leadership: a little before each slot of the rejuvenation
 * schedule that takes it down. The schedule is in the cluster config (round r starts at the epoch
 * plus r·T_p, group g at g·T_localexec into the round), and the agents never start a slot before
 * its nominal time (they may start it later, when the group before overran), so stepping down
 * {@code lead} before the nominal start is never too late; too early costs one view change.
 */
public final class HandOverSchedule {
    /** A view change here takes milliseconds; a second of lead covers a slow guest clock too. */
    public static final Duration LEAD_DEFAULT = Duration.ofSeconds(1);

    private final Instant roundStart;
    private final Duration tp;
    private final List<Duration> offsets;
    private final Duration lead;

    private HandOverSchedule(Instant roundStart, Duration tp, List<Duration> offsets, Duration lead) {
        this.roundStart = roundStart;
        this.tp = tp;
        this.offsets = List.copyOf(offsets);
        this.lead = lead;
    }

    /** The schedule of replica {@code replicaId}; empty when no slot takes it down (k = 0). */
    public static Optional<HandOverSchedule> of(Plan plan, int replicaId, Duration lead) {
        if (lead.isNegative() || plan.tp() == null || plan.tp().isZero() || plan.tp().isNegative()) {
            return Optional.empty();
        }
        List<Duration> offsets = new ArrayList<>();
        for (Slot slot : plan.schedule()) {
            if (slot.replicas().contains(replicaId)) {
                offsets.add(slot.start().minus(lead));
            }
        }
        offsets.sort(null);
        return offsets.isEmpty() ? Optional.empty()
                : Optional.of(new HandOverSchedule(plan.roundStart(), plan.tp(), offsets, lead));
    }

    public Duration lead() {
        return lead;
    }

    /** The first hand-over instant strictly after {@code after}. */
    public Instant nextAfter(Instant after) {
        long round = Math.max(0, Duration.between(roundStart, after).dividedBy(tp) - 1);
        for (; ; round++) {
            Instant start = roundStart.plus(tp.multipliedBy(round));
            for (Duration offset : offsets) {
                Instant at = start.plus(offset);
                if (at.isAfter(after)) {
                    return at;
                }
            }
        }
    }
}
