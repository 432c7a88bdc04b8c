package io.rsmr.agent.rounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The rounds logic of every agent under simulated faults: "at most k down" after every event, every
 * missed T_d answered by the fail-safe on every running agent within 1 s, and fault-free runs that
 * finish every round within T_d without a single fail-safe. {@code -Dsim.seed=N} replays one seed;
 * {@code -Dsim.seeds=M} sets how many random seeds follow the fixed ones.
 */
class RoundsSimulationTest {
    private static final long[] FIXED_SEEDS = {1, 2, 3, 4, 5, 6, 7, 8, 42, 1234, 99991, 31337};
    private static final int RANDOM_SEEDS_DEFAULT = 300;

    @Test
    void invariantsHoldOverManySeeds() {
        String replay = System.getProperty("sim.seed", "");
        long[] seeds = replay.isBlank() ? seeds() : new long[] {Long.parseLong(replay.strip())};
        List<String> failures = new ArrayList<>();
        int[] faults = new int[RoundsSimulation.Fault.values().length];
        int oneOffs = 0;
        for (long seed : seeds) {
            RoundsSimulation sim = new RoundsSimulation(seed, null);
            faults[sim.fault.ordinal()]++;
            sim.run();
            oneOffs += sim.oneOffsRun;
            if (!sim.violations.isEmpty()) {
                failures.add(sim.describe() + "\n    " + String.join("\n    ", sim.violations)
                        + "\n    replay: mvn -B -o -pl agent verify -Dtest=RoundsSimulationTest -Dsim.seed=" + seed);
            }
        }
        System.out.println("rounds simulation: " + seeds.length + " seeds, faults per kind " + java.util.Arrays.toString(faults)
                + ", one-off rejuvenations run " + oneOffs);
        assertTrue(seeds.length < 20 || oneOffs > 0, "the seeds never exercised a one-off");
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + seeds.length + " seeds broke an invariant:\n" + String.join("\n", failures));
        }
    }

    private static long[] seeds() {
        int random = Integer.getInteger("sim.seeds", RANDOM_SEEDS_DEFAULT);
        long base = new Random().nextLong();
        System.out.println("rounds simulation: random seeds from " + base);
        return LongStream.concat(LongStream.of(FIXED_SEEDS), LongStream.range(0, random).map(i -> base + i)).toArray();
    }

    /** The checkers must catch a core that starts a group before the previous one is done. */
    @Test
    void aCoreThatDoesNotWaitForThePreviousGroupIsCaught() {
        long caught = LongStream.range(0, 20)
                .filter(seed -> new RoundsSimulation(seed, RoundsSimulation.Fault.OVERRUN, false).run().violations.stream()
                        .anyMatch(v -> v.contains("replicas down")))
                .count();
        assertTrue(caught > 0, "no seed of 20 caught more than k replicas down");
    }

    @Test
    void aFaultFreeRunFiresNothingAndEveryGroupStartsOnTime() {
        RoundsSimulation sim = new RoundsSimulation(7, RoundsSimulation.Fault.NONE).run();
        assertEquals(List.of(), sim.violations, sim.describe());
        for (RoundsSimulation.Agent a : sim.agents.values()) {
            assertTrue(a.failSafeAt.isEmpty(), a.host + " fired " + a.failSafeAt);
            for (GroupRecord g : a.core.status()) {
                if (g.round() < sim.rounds && g.actualStartMillis() >= 0) {
                    long late = g.actualStartMillis() - g.plannedStartMillis();
                    assertTrue(late < RoundsSimulation.TICK_MILLIS + 2 * RoundsSimulation.CLOCK_OFFSET_MAX_MILLIS + 100,
                            "group started " + late + " ms late: " + g);
                    assertTrue(g.deadlineMarginMillis() > 0, "group ended after T_d: " + g);
                }
            }
        }
    }

    @Test
    void anOverrunMakesTheNextGroupWaitAndFiresEverywhere() {
        RoundsSimulation sim = new RoundsSimulation(11, RoundsSimulation.Fault.OVERRUN).run();
        assertEquals(List.of(), sim.violations, sim.describe());
        assertTrue(sim.agents.values().stream().allMatch(a -> !a.failSafeAt.isEmpty()), "every agent fired: " + sim.describe());
    }

    @Test
    void aRestartedAgentFinishesItsInterruptedRejuvenation() {
        int checked = 0;
        for (long seed = 0; seed < 20; seed++) {
            RoundsSimulation sim = new RoundsSimulation(seed, RoundsSimulation.Fault.RESTART_AGENT).run();
            assertEquals(List.of(), sim.violations, sim.describe());
            if (sim.faultRound < sim.rounds - 1) {
                checked++;
                assertTrue(sim.okFinishedAt.getOrDefault(sim.faultRound, Map.of()).containsKey(sim.faultReplica),
                        "round " + sim.faultRound + " never rejuvenated replica " + sim.faultReplica + ": " + sim.describe());
            }
        }
        assertTrue(checked > 5, "too few seeds left time after the restart");
    }

    @Test
    void aCrashedAgentIsReportedSilentByTheOthers() {
        RoundsSimulation sim = new RoundsSimulation(5, RoundsSimulation.Fault.CRASH_AGENT).run();
        assertEquals(List.of(), sim.violations, sim.describe());
        long silentAlerts = sim.agents.values().stream().filter(a -> !a.crashed)
                .filter(a -> a.alerts.stream().anyMatch(s -> s.contains("is silent"))).count();
        assertEquals(sim.agents.values().stream().filter(a -> !a.crashed).count(), silentAlerts, sim.describe());
        assertFalse(sim.down.isEmpty(), "the crashed agent's replica stays down");
    }
}
