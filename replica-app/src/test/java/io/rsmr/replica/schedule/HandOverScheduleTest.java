package io.rsmr.replica.schedule;

import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.common.plan.Plan;
import io.rsmr.common.plan.Planner;
import io.rsmr.common.plan.Slot;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandOverScheduleTest {
    private static Plan plan() throws Exception {
        ClusterConfig config = new ClusterConfigLoader().load(Path.of("../examples/cluster-local.yaml"));
        return Planner.plan(config);
    }

    @Test
    void stepsDownALeadBeforeEachOfItsSlotsRoundAfterRound() throws Exception {
        Plan plan = plan();
        int replica = 3;
        Slot slot = plan.schedule().stream().filter(s -> s.replicas().contains(replica)).findFirst().orElseThrow();
        HandOverSchedule schedule = HandOverSchedule.of(plan, replica, Duration.ofSeconds(2)).orElseThrow();
        Instant round7 = plan.roundStart().plus(plan.tp().multipliedBy(7));
        Instant expected = round7.plus(slot.start()).minusSeconds(2);

        assertEquals(expected, schedule.nextAfter(round7));
        assertEquals(expected.plus(plan.tp()), schedule.nextAfter(expected), "strictly after: the next round's");
        assertEquals(expected, schedule.nextAfter(expected.minusMillis(1)));
        assertTrue(schedule.nextAfter(plan.roundStart().minus(Duration.ofDays(3))).isAfter(plan.roundStart().minusSeconds(3)),
                "before the epoch: round 0");
    }

    @Test
    void everyReplicaOfTheScheduleGetsOneHandOverPerRound() throws Exception {
        Plan plan = plan();
        Instant round3 = plan.roundStart().plus(plan.tp().multipliedBy(3));
        for (int replica = 1; replica <= plan.n(); replica++) {
            HandOverSchedule schedule = HandOverSchedule.of(plan, replica, HandOverSchedule.LEAD_DEFAULT).orElseThrow();
            Instant first = schedule.nextAfter(round3);
            assertEquals(plan.tp(), Duration.between(first, schedule.nextAfter(first)), "replica " + replica);
        }
    }
}
