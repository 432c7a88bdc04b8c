package io.rsmr.replica.sim;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.EpochIdentity;
import io.rsmr.replica.crypto.EpochSignatures;
import io.rsmr.replica.crypto.ReplicaKeyRing;
import io.rsmr.replica.protocol.ChunkStore;
import io.rsmr.replica.protocol.ProtocolConfig;
import io.rsmr.replica.protocol.ReplicaCore;
import io.rsmr.replica.protocol.Signatures;
import io.rsmr.replica.protocol.Start;
import io.rsmr.replica.service.Service;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import java.util.function.IntFunction;
import java.util.function.ToLongFunction;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the deterministic simulator. {@code -Dsim.seed=N} replays one seed (every test then runs
 * only that seed); {@code -Dsim.seeds=N} sets how many random seeds CI runs;
 * {@code -Dsim.soakSeconds=N} runs random seeds for that long.
 */
class SimulationTest {
    private static final int FIXED_SEEDS = 150;
    private static final int RANDOM_SEEDS_DEFAULT = 1500;
    private static final int FEWEST_REPLIERS_SEEDS = 100;
    private static final int BAD_AUTHENTICATOR_SEEDS = 100;
    private static final int SILENT_AND_LYING_SEEDS = 60;
    private static final int BROKEN_SEEDS_MAX = 400;
    private static final int READ_RACE_SEEDS = 200;
    private static final int REJUVENATION_SEEDS = 120;

    static final Simulator.RecoveringCoreFactory CORRECT = ReplicaCore::new;

    /** Commits on q-1 matching prepares and commits: unsafe, and the checkers must notice. */
    static final class BrokenReplicaCore extends ReplicaCore {
        BrokenReplicaCore(ProtocolConfig config, int id, Service service, Signatures signatures, ChunkStore store,
                          Start start) {
            super(config, id, service, signatures, store, start);
        }

        @Override
        protected int certificateQuorum() {
            return Math.max(1, config().quorum() - 1);
        }
    }

    /** Answers fast-path reads at once, without waiting for the seqs it committed to: stale reads. */
    static final class StaleReadReplicaCore extends ReplicaCore {
        StaleReadReplicaCore(ProtocolConfig config, int id, Service service, Signatures signatures, ChunkStore store,
                             Start start) {
            super(config, id, service, signatures, store, start);
        }

        @Override
        protected long readWaitSeq() {
            return 0;
        }
    }

    private static Long replaySeed() {
        String s = System.getProperty("sim.seed", "");
        return s.isBlank() ? null : Long.parseLong(s.trim());
    }

    private static Simulator.Stats run(SimParams params, Simulator.RecoveringCoreFactory factory) {
        return new Simulator(params, factory).run();
    }

    /** Runs one seed of a test; a failure names the command that replays exactly that run. */
    /**
     * Runs seeds 1..count (or the one -Dsim.seed names) in the shapes n = 4 and n = 6 with a setting,
     * every checker on, and sums one figure of the runs.
     */
    private static long sumOverBothShapes(String test, long count, UnaryOperator<SimParams> setting,
                                          ToLongFunction<Simulator.Stats> figure) {
        Long replay = replaySeed();
        long first = replay != null ? replay : 1;
        long last = replay != null ? replay : count;
        long sum = 0;
        for (long seed = first; seed <= last; seed++) {
            for (SimParams params : List.of(setting.apply(SimParams.derive(seed, 4, 0, 1)),
                    setting.apply(SimParams.derive(seed, 6, 1, 1)))) {
                sum += figure.applyAsLong(runOrExplain(test, params));
            }
        }
        return sum;
    }

    private static Simulator.Stats runOrExplain(String test, SimParams params) {
        try {
            return run(params, CORRECT);
        } catch (Simulator.Violation v) {
            throw new AssertionError(v.getMessage() + "\nreplay: mvn -B -o -pl replica-app verify -Dtest=SimulationTest#"
                    + test + " -Dsim.seed=" + params.seed(), v);
        }
    }

    /**
     * A random seed that once ended with clients waiting forever: n = 5, k = 2, crash-restarts. The
     * signers of the newest certificate had all lost its state (two restarted empty, one resumed
     * from an older checkpoint) while a replica that had adopted the certificate later still held
     * it; state transfer asked only the signers. Now every peer that sends the manifest serves too.
     */
    @Test
    void aCertifiedStateHeldOnlyByANonSignerIsFetchedFromIt() {
        SimParams params = SimParams.derive(-1522635864360615633L).withLeaderOnlyRequests(16);
        assertTrue(params.config().n() == 5 && params.config().k() == 2, params.toString());
        assertTrue(runOrExplain("aCertifiedStateHeldOnlyByANonSignerIsFetchedFromIt", params).executedSeqs() > 0);
    }

    @Test
    void fixedSeedsOfTheTwoNamedShapes() {
        Long replay = replaySeed();
        long first = replay != null ? replay : 1;
        long last = replay != null ? replay : FIXED_SEEDS;
        long executed = 0;
        long fastReads = 0;
        long readsOrdered = 0;
        for (long seed = first; seed <= last; seed++) {
            for (SimParams params : List.of(SimParams.derive(seed, 4, 0, 1), SimParams.derive(seed, 6, 1, 1))) {
                System.out.println(params);
                Simulator.Stats stats = runOrExplain("fixedSeedsOfTheTwoNamedShapes", params);
                executed += stats.executedSeqs();
                fastReads += stats.fastReads();
                readsOrdered += stats.readsOrdered();
            }
        }
        System.out.println("fixed seeds: " + executed + " seqs executed, " + fastReads + " reads answered on the fast path, "
                + readsOrdered + " went ordered");
        assertTrue(executed > 0, "the fixed seeds ordered nothing");
        assertTrue(fastReads > 0 && readsOrdered > 0, "the seeds must exercise both ways of a read");
    }

    @Test
    void randomSeedsOfAllShapes() {
        Long replay = replaySeed();
        if (replay != null) {
            System.out.println(SimParams.derive(replay));
            runOrExplain("randomSeedsOfAllShapes", SimParams.derive(replay));
            return;
        }
        int count = Integer.parseInt(System.getProperty("sim.seeds", "").isBlank()
                ? String.valueOf(RANDOM_SEEDS_DEFAULT) : System.getProperty("sim.seeds").trim());
        long base = new SplittableRandom().nextLong();
        System.out.println("sim random seeds: base " + base + ", " + count + " seeds (seed i = base + i)");
        long started = System.nanoTime();
        for (int i = 0; i < count; i++) {
            SimParams params = SimParams.derive(base + i);
            System.out.println(params);
            runOrExplain("randomSeedsOfAllShapes", params);
        }
        System.out.printf("sim random seeds: %d seeds in %.1f s%n", count, (System.nanoTime() - started) / 1e9);
    }

    /**
     * Issue 4's scenario: replicas rejuvenated one group of k after another while clients run and k'
     * others are Byzantine, each booting on a disk damaged in one of {@link SimDisk.Damage}'s ways.
     * Every checker stays green, every rejuvenated replica ends voting with the certified state, and
     * the seeds did exercise what they claim: every kind of damage, and state transfers.
     */
    @Test
    void rejuvenationRoundsOnDamagedDisks() {
        Long replay = replaySeed();
        long first = replay != null ? replay : 1;
        long last = replay != null ? replay : REJUVENATION_SEEDS;
        Map<SimDisk.Damage, Integer> damages = new EnumMap<>(SimDisk.Damage.class);
        int restarts = 0;
        int transfers = 0;
        for (long seed = first; seed <= last; seed++) {
            SimParams params = SimParams.derive(seed, 6, 1, 1).withRejuvenations();
            System.out.println(params);
            Simulator.Stats stats = runOrExplain("rejuvenationRoundsOnDamagedDisks", params);
            stats.damages().forEach((d, count) -> damages.merge(d, count, Integer::sum));
            restarts += stats.restarts();
            transfers += stats.stateJumps();
            assertEquals(0, stats.stillRecovering(), "seed " + seed);
        }
        System.out.println("rejuvenations: " + restarts + ", damages " + damages + ", state transfers " + transfers);
        if (replay == null) {
            assertEquals(EnumSet.allOf(SimDisk.Damage.class), damages.keySet(), "every kind of damage was tried");
            assertTrue(transfers > 0, "some rejuvenated replica fetched its state");
        }
    }

    @Test
    void soakForAsLongAsAsked() {
        String soak = System.getProperty("sim.soakSeconds", "");
        long seconds = soak.isBlank() ? 0 : Long.parseLong(soak.trim());
        long base = new SplittableRandom().nextLong();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long runs = 0;
        while (System.nanoTime() < deadline) {
            runOrExplain("randomSeedsOfAllShapes", SimParams.derive(base + runs));
            runs++;
        }
        System.out.println("sim soak: base " + base + ", " + runs + " seeds in " + seconds + " s");
        assertEquals(seconds == 0, runs == 0);
    }

    /**
     * Only k'+1 replicas answer a request at once and one replica lies to clients: every client
     * still completes every request (the simulator's liveness checker), re-sending when the liar
     * or a cut-off replica is among its repliers, and every checker stays green.
     */
    @Test
    void clientsCompleteWhenOnlyKPrimePlusOneAnswerAndOneOfThemLies() {
        long executed = sumOverBothShapes("clientsCompleteWhenOnlyKPrimePlusOneAnswerAndOneOfThemLies",
                FEWEST_REPLIERS_SEEDS, SimParams::withFewestRepliersAndALiar, Simulator.Stats::executedSeqs);
        assertTrue(executed > 0, "nothing ordered");
    }

    /**
     * k backups are silent and k' others lie to clients, on a network that loses nothing: with the
     * default repliers (2k'+k+1) every client completes without ever re-sending a request; with one
     * replier fewer some clients must re-send (the faulty replicas are then sometimes among so many of
     * a request's repliers that fewer than k'+1 correct ones answer), so the default is the fewest
     * that spare the re-send. Every checker stays green in both.
     */
    @Test
    void withTheDefaultRepliersNoClientReSendsWhileKAreSilentAndKPrimeLie() {
        long atDefault = sumOverBothShapes("withTheDefaultRepliersNoClientReSendsWhileKAreSilentAndKPrimeLie",
                SILENT_AND_LYING_SEEDS, p -> p.withSilentAndLyingBackups(defaultRepliers(p.config())),
                Simulator.Stats::clientResends);
        long oneFewer = sumOverBothShapes("withTheDefaultRepliersNoClientReSendsWhileKAreSilentAndKPrimeLie",
                SILENT_AND_LYING_SEEDS, p -> p.withSilentAndLyingBackups(defaultRepliers(p.config()) - 1),
                Simulator.Stats::clientResends);
        assertEquals(0, atDefault, "re-sends with 2k'+k+1 repliers");
        assertTrue(oneFewer > 0, "no re-send with 2k'+k repliers: the scenario does not test the bound");
    }

    private static int defaultRepliers(ProtocolConfig config) {
        return ProtocolConfig.defaults(config.n(), config.k(), config.kPrime()).repliersPerRequest();
    }

    /**
     * Client 0 is Byzantine: the authenticator entries of its requests are garbage for every backup
     * of view 0, so no backup can check them. Every client, the Byzantine one too, still completes
     * (its re-sends to all replicas unblock the waiting backups), and every checker stays green; in
     * particular nothing runs that no client sent.
     */
    @Test
    void clientsCompleteWhenOneClientsAuthenticatorsAreBadForEveryBackup() {
        long executed = sumOverBothShapes("clientsCompleteWhenOneClientsAuthenticatorsAreBadForEveryBackup",
                BAD_AUTHENTICATOR_SEEDS, SimParams::withBadAuthenticators, Simulator.Stats::executedSeqs);
        assertTrue(executed > 0, "nothing ordered");
    }

    /** Real Ed25519 with agent-certified epoch keys (the production Signatures) on one seed. */
    @Test
    void oneSeedWithRealEd25519EpochSignatures() {
        Long replay = replaySeed();
        SimParams params = SimParams.derive(replay != null ? replay : 7, 6, 1, 1);
        SplittableRandom keys = new SplittableRandom(params.seed());
        int n = params.config().n();
        Map<Integer, byte[]> agentKeys = new HashMap<>();
        EpochIdentity[] identities = new EpochIdentity[n];
        for (int i = 0; i < n; i++) {
            Ed25519Keys.SigningKey agent = Ed25519Keys.fromPrivate(randomBytes(keys));
            agentKeys.put(i + 1, agent.publicKey());
            identities[i] = EpochIdentity.issue(agent, Ed25519Keys.fromPrivate(randomBytes(keys)), "sim", i + 1, 1);
        }
        IntFunction<Signatures> real = id -> {
            ReplicaKeyRing ring = new ReplicaKeyRing("sim", agentKeys);
            for (EpochIdentity identity : identities) {
                ring.admit(identity.certificate());
            }
            return new EpochSignatures(identities[id], ring, core -> core + 1);
        };
        System.out.println("sim seed " + params.seed() + " with Ed25519: " + params);
        Simulator.Stats stats = new Simulator(params, CORRECT, real).run();
        assertTrue(stats.executedSeqs() > 0, "nothing ordered");
    }

    private static byte[] randomBytes(SplittableRandom random) {
        byte[] b = new byte[Ed25519Keys.PRIVATE_KEY_BYTES];
        random.nextBytes(b);
        return b;
    }

    @Test
    void deliberatelyBrokenProtocolIsCaught() {
        expectCaught(seed -> SimParams.derive(seed, 4, 0, 1), BrokenReplicaCore::new, "committing on q-1 certificates");
    }

    /**
     * Reads racing writes on one key, with the correct core: every read, fast or gone ordered, stays
     * linearizable, and many are answered on the fast path.
     */
    @Test
    void readRacesStayLinearizable() {
        long fastReads = sumOverBothShapes("readRacesStayLinearizable", READ_RACE_SEEDS, SimParams::withReadRaces,
                Simulator.Stats::fastReads);
        System.out.println("read races: " + fastReads + " reads answered on the fast path");
        assertTrue(fastReads > 0, "no read took the fast path");
    }

    /** The same races catch replicas that answer a read at once instead of after their committed seqs. */
    @Test
    void readsThatDoNotWaitForTheirCommittedSeqsAreCaught() {
        expectCaught(seed -> SimParams.derive(seed, 6, 1, 1).withReadRaces(), StaleReadReplicaCore::new,
                "answering fast-path reads at once");
    }

    private static void expectCaught(LongFunction<SimParams> paramsOf,
                                     Simulator.RecoveringCoreFactory broken, String what) {
        Long replay = replaySeed();
        long first = replay != null ? replay : 1;
        Simulator.Violation caught = null;
        long seed = first;
        for (; seed < first + BROKEN_SEEDS_MAX && caught == null; seed++) {
            try {
                run(paramsOf.apply(seed), broken);
            } catch (Simulator.Violation v) {
                caught = v.liveness() ? null : v;
            }
        }
        assertNotNull(caught, what + " broke no safety invariant in " + BROKEN_SEEDS_MAX + " seeds");
        System.out.println(what + " caught at seed " + (seed - 1) + ": " + caught.getMessage());
        long caughtSeed = seed - 1;
        assertThrows(Simulator.Violation.class, () -> run(paramsOf.apply(caughtSeed), broken),
                "the violating seed must replay");
    }
}
