package io.rsmr.replica.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.replica.protocol.RecoveryProgress;
import io.rsmr.replica.protocol.RecoveryProgress.Phase;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The agent's figures: each phase's time goes to the right field, bad peers are named by replica id. */
class RecoveryTimerTest {
    private static final long MS = 1_000_000;

    private static RecoveryProgress at(Phase phase, int total, int local, int fetched, Set<Integer> bad) {
        return new RecoveryProgress(phase, 640, total, local, fetched, fetched * 1000L, bad);
    }

    @Test
    void phasesAreTimedAndTheTransferCountsSurviveTheEnd() {
        RecoveryTimer timer = new RecoveryTimer(0, 40, 50 * MS, index -> index + 1);
        assertTrue(timer.observe(at(Phase.LEARNING, 0, 0, 0, Set.of()), 50 * MS));
        assertFalse(timer.observe(at(Phase.LEARNING, 0, 0, 0, Set.of()), 300 * MS), "same phase, no change");
        assertTrue(timer.observe(at(Phase.MANIFEST, 0, 0, 0, Set.of()), 1050 * MS));
        assertTrue(timer.observe(at(Phase.VERIFYING, 10, 0, 0, Set.of()), 1100 * MS));
        assertTrue(timer.observe(at(Phase.TRANSFERRING, 10, 7, 0, Set.of()), 1300 * MS));
        assertEquals(Set.of(3), timer.newBadPeers(at(Phase.TRANSFERRING, 10, 7, 1, Set.of(2))));
        assertEquals(Set.of(), timer.newBadPeers(at(Phase.TRANSFERRING, 10, 7, 2, Set.of(2))), "reported once");
        assertTrue(timer.observe(at(Phase.REPLAYING, 10, 7, 3, Set.of(2)), 2300 * MS));
        assertTrue(timer.observe(at(Phase.DONE, 0, 0, 0, Set.of(2)), 2800 * MS));
        String line = timer.recoveredJson(4, 2, 640, "ab", at(Phase.DONE, 0, 0, 0, Set.of(2)), 2800 * MS);
        assertEquals("{\"event\":\"recovered\",\"replicaId\":4,\"epoch\":2,\"checkpointSeq\":640,\"stateDigest\":\"ab\","
                + "\"loadMillis\":40,\"verifyMillis\":200,\"transferMillis\":2050,\"replayMillis\":500,"
                + "\"chunksTotal\":10,\"chunksLocal\":7,\"chunksFetched\":3,\"bytesFetched\":3000,\"badPeers\":[3],"
                + "\"recoverMillis\":2800}", line);
    }

    @Test
    void aReplicaThatNeverRecoveredReportsZeroPhases() {
        RecoveryTimer timer = new RecoveryTimer(0, 12, 0, index -> index + 1);
        timer.observe(at(Phase.DONE, 0, 0, 0, Set.of()), 15 * MS);
        String line = timer.recoveredJson(1, 1, 0, "00", at(Phase.DONE, 0, 0, 0, Set.of()), 15 * MS);
        assertTrue(line.contains("\"loadMillis\":12,\"verifyMillis\":0,\"transferMillis\":0,\"replayMillis\":0"), line);
        assertTrue(line.contains("\"badPeers\":[]") && line.endsWith("\"recoverMillis\":15}"), line);
    }
}
