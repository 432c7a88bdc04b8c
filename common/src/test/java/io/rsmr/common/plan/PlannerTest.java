package io.rsmr.common.plan;

import static io.rsmr.common.config.ConfigFixtures.localYamlWith;
import static io.rsmr.common.config.ConfigFixtures.localYamlWithReplicas;
import static io.rsmr.common.config.ConfigFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ConfigFixtures;
import io.rsmr.common.config.Faults;
import io.rsmr.common.config.Timing;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlannerTest {
    private static ClusterConfig local() throws Exception {
        return parse(ConfigFixtures.localYaml());
    }

    private static Condition condition(Plan p, String name) {
        return p.conditions().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    /** Section 3.3: k = k' = 1 needs 6 replicas, and 7 if the rejuvenated ones could be Byzantine too. */
    @Test
    void paperNumbersForKEqualsKPrimeEqualsOne() throws Exception {
        Plan p = Planner.plan(local());
        assertEquals(6, p.minReplicas());
        assertEquals(7, p.minReplicasIfRecoveringByzantine());
        assertEquals(4, p.quorum());
        assertEquals(2, p.replyQuorum());
        assertTrue(p.feasible(), p.conditions().toString());
        assertEquals(List.of(), p.suggestions());
    }

    /** k = 0 is classic PBFT: n = 3f + 1 and q = 2f + 1. */
    @ParameterizedTest
    @CsvSource({"1,4,3", "2,7,5", "3,10,7"})
    void kZeroIsPbft(int f, int n, int q) {
        Faults faults = new Faults(0, f);
        assertEquals(n, faults.minReplicas());
        assertEquals(q, faults.quorum(n));
        assertEquals(f + 1, faults.replyQuorum());
    }

    /** Two quorums of q = n − k − k' meet in at least k' + 1 replicas whenever n ≥ 3k' + 2k + 1. */
    @Test
    void quorumsIntersectInACorrectReplica() {
        for (int k = 0; k <= 4; k++) {
            for (int kp = 0; kp <= 4; kp++) {
                Faults f = new Faults(k, kp);
                int n = f.minReplicas();
                int q = f.quorum(n);
                assertTrue(2 * q - n >= kp + 1, "k=" + k + " k'=" + kp);
                assertTrue(q <= n - k - kp, "a quorum must be reachable with k silent and k' Byzantine");
            }
        }
    }

    @Test
    void fiveReplicasAreTooFewAndSixIsNamed() throws Exception {
        Plan p = Planner.plan(parse(localYamlWithReplicas(5)));
        assertFalse(p.feasible());
        assertFalse(condition(p, "minReplicas").holds());
        assertEquals("n = 5 < 3k' + 2k + 1 = 3*1 + 2*1 + 1 = 6", condition(p, "minReplicas").detail());
        assertTrue(p.suggestions().get(0).startsWith("use at least 6 replicas"), p.suggestions().toString());
        assertTrue(Planner.plan(parse(localYamlWithReplicas(6))).feasible());
    }

    /** T_exec = 6 × 77 s = 462 s: T_d = 7m42s holds, one millisecond less does not. */
    @Test
    void execWithinTdFlipsAtItsBoundary() throws Exception {
        Plan at = Planner.plan(parse(localYamlWith("td: 10m ", "td: 7m42s ")));
        assertTrue(condition(at, "execWithinTd").holds(), condition(at, "execWithinTd").detail());
        Plan below = Planner.plan(parse(localYamlWith("td: 10m ", "td: 7m41s999ms ")));
        assertFalse(condition(below, "execWithinTd").holds());
        assertFalse(below.feasible());
        assertTrue(below.suggestions().stream().anyMatch(s -> s.startsWith("choose T_d >= T_exec = 7m42s")),
                below.suggestions().toString());
    }

    /** T_p + T_d must stay strictly below T_exhaust(k'+1) = 1h. */
    @Test
    void exhaustionSafetyFlipsAtItsBoundary() throws Exception {
        Plan at = Planner.plan(parse(localYamlWith("tp: 15m ", "tp: 50m ")));
        assertFalse(condition(at, "exhaustionSafe").holds(), condition(at, "exhaustionSafe").detail());
        assertEquals("T_p + T_d = 50m + 10m = 1h >= T_exhaust(2) = 1h", condition(at, "exhaustionSafe").detail());
        Plan below = Planner.plan(parse(localYamlWith("tp: 15m ", "tp: 49m59s999ms ")));
        assertTrue(condition(below, "exhaustionSafe").holds());
    }

    /** T_d < T_p is refused by the loader already; one millisecond above holds. */
    @Test
    void tdBelowTpHoldsJustAboveItsBoundary() throws Exception {
        Plan p = Planner.plan(parse(localYamlWith("tp: 15m ", "tp: 10m1ms ")));
        assertTrue(condition(p, "tdBelowTp").holds());
    }

    @Test
    void kZeroRejuvenatesNothingAndIsNotExhaustionSafe() throws Exception {
        Plan p = Planner.plan(parse(localYamlWith("k: 1 ", "k: 0 ")));
        assertFalse(condition(p, "rejuvenates").holds());
        assertFalse(condition(p, "execWithinTd").holds());
        assertNull(p.exec());
        assertEquals(List.of(), p.schedule());
        assertEquals(5, p.quorum());
    }

    @Test
    void aStrongerAdversaryForcesALargerKPrime() throws Exception {
        Plan p = Planner.plan(parse(localYamlWith("    1: 30m\n    2: 1h", "    1: 10m\n    2: 20m")));
        assertFalse(condition(p, "exhaustionSafe").holds());
        assertTrue(p.suggestions().stream().anyMatch(s -> s.contains("can compromise up to 2 replica(s): set faults.kPrime to 2 (then n >= 9)")),
                p.suggestions().toString());
    }

    @Test
    void adversaryReachIsConservativeAboutGapsInTheTable() {
        SortedMap<Integer, Duration> table = new TreeMap<>();
        table.put(1, Duration.ofHours(1));
        table.put(3, Duration.ofHours(10));
        Timing t = new Timing(null, Duration.ofHours(4), Duration.ofHours(1), null, null, null, null, null, table);
        assertEquals(2, Planner.adversaryReach(t, Duration.ofHours(5)), "T_exhaust(2) is only known to be >= 1h");
        assertEquals(0, Planner.adversaryReach(t, Duration.ofMinutes(59)));
        assertEquals(-1, Planner.adversaryReach(t, Duration.ofHours(10)));
    }

    @Test
    void missingTableEntryMeansNoTimeAtAll() throws Exception {
        Plan p = Planner.plan(parse(localYamlWith("    1: 30m\n    2: 1h\n", "")));
        assertFalse(condition(p, "exhaustionSafe").holds());
        assertTrue(condition(p, "exhaustionSafe").detail().contains("no entry at or below k'+1 = 2"));
        Plan bounded = Planner.plan(parse(localYamlWith("    2: 1h\n", "")));
        assertEquals("T_p + T_d = 15m + 10m = 25m < T_exhaust(2) = 30m (bounded by exhaust[1])",
                condition(bounded, "exhaustionSafe").detail());
    }

    /** Groups of k in list order; group g's slot is [g·T_localexec, (g+1)·T_localexec). */
    @Test
    void scheduleSplitsReplicasIntoGroupsOfK() throws Exception {
        ClusterConfig c = parse(localYamlWith("k: 1 ", "k: 4 ")).withFaults(new Faults(4, 0));
        Plan p = Planner.plan(c);
        assertEquals(2, p.groups());
        assertEquals(List.of(1, 2, 3, 4), p.schedule().get(0).replicas());
        assertEquals(List.of(5, 6), p.schedule().get(1).replicas());
        assertEquals(Duration.ofSeconds(77), p.schedule().get(1).start());
        assertEquals(Duration.ofSeconds(154), p.schedule().get(1).end());
        assertEquals(Duration.ofSeconds(154), p.exec());
    }
}
