package io.rsmr.replica.sim;

import io.rsmr.replica.protocol.ProtocolConfig;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/** Every setting of one simulation run, all derived from its seed. */
record SimParams(
        long seed,
        ProtocolConfig config,
        int clients, int opsPerClient, int keys, int thinkTicksMax, int clientRetransmitTicks,
        double lossRate, double duplicateRate, int delayTicksMax, int partitionsMax,
        List<Byzantine> byzantine, boolean crashes, boolean rejuvenations,
        int safetyTicks, int livenessTicksMax, int floodMessagesPerTick, int slowInboundTicks,
        Set<Integer> badEntries) {

    /** A Byzantine replica and what it does. */
    record Byzantine(int replicaId, Set<Behavior> behaviors) {
    }

    /** Scripted Byzantine behaviours. */
    enum Behavior {
        SILENT, SILENT_LEADER, EQUIVOCATE, ALTER, FORGE, REPLAY, WRONG_REPLY, FALSE_CHECKPOINT, FLOOD, TWINS
    }

    /** (n, k, k') shapes the simulator draws from; the first two are the ones the issue names. */
    private static final int[][] SHAPES = {
        {4, 0, 1}, {6, 1, 1}, {4, 0, 1}, {6, 1, 1}, {3, 1, 0}, {5, 2, 0}, {7, 0, 2}, {8, 2, 1}, {9, 1, 2}, {1, 0, 0},
    };

    static SimParams derive(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] shape = SHAPES[r.nextInt(SHAPES.length)];
        return derive(seed, r, shape[0], shape[1], shape[2]);
    }

    static SimParams derive(long seed, int n, int k, int kPrime) {
        SplittableRandom r = new SplittableRandom(seed);
        r.nextInt(SHAPES.length);
        return derive(seed, r, n, k, kPrime);
    }

    /**
     * Half the seeds keep the default repliers (2k'+k+1), the others draw k'+1 to n of them (so a
     * client must re-send when too few correct ones are among them). Drawn from a stream of its own,
     * so that every other parameter of a seed is what it was before this one existed.
     */
    private static int repliersPerRequest(long seed, ProtocolConfig defaults) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5EED_0F_4E911E5L);
        return r.nextBoolean() ? defaults.repliersPerRequest() : r.nextInt(defaults.kPrime() + 1, defaults.n() + 1);
    }

    /**
     * A quarter of the seeds send every request to every replica (as clients did before requests
     * went to the leader only), a quarter only requests of up to 16 bytes to the leader (some of the
     * simulated operations are longer), the others all of them. From a stream of its own.
     */
    private static int leaderOnlyRequestBytesMax(long seed) {
        return switch (new SplittableRandom(seed ^ 0x1EAD_E40L).nextInt(4)) {
            case 0 -> -1;
            case 1 -> 16;
            default -> ProtocolConfig.LEADER_ONLY_REQUEST_BYTES_MAX_DEFAULT;
        };
    }

    /**
     * Half the seeds keep the default wait for a fuller batch while an instance is in flight, the
     * others draw 0 (propose whenever the pipeline has room) to 3 requests per peer. From a stream
     * of its own.
     */
    private static int busyBatchRequestsPerPeerMin(long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0xB0_5EBA7CL);
        return r.nextBoolean() ? ProtocolConfig.BUSY_BATCH_REQUESTS_PER_PEER_MIN_DEFAULT : r.nextInt(0, 4);
    }

    private static SimParams derive(long seed, SplittableRandom r, int n, int k, int kPrime) {
        int interval = 1 << r.nextInt(1, 4);
        int window = interval * r.nextInt(2, 4);
        ProtocolConfig defaults = ProtocolConfig.defaults(n, k, kPrime);
        ProtocolConfig config = defaults
                .withWindow(interval, window, r.nextInt(1, window + 1))
                .withBatch(r.nextInt(1, 9), 1 << 16)
                .withTimeouts(60 + r.nextInt(60), 40 + r.nextInt(40), 5)
                .withDigestReplies(r.nextBoolean())
                .withRepliersPerRequest(repliersPerRequest(seed, defaults))
                .withLeaderOnlyRequestBytesMax(leaderOnlyRequestBytesMax(seed))
                .withBusyBatchRequestsPerPeerMin(busyBatchRequestsPerPeerMin(seed));
        int clients = r.nextInt(1, 5);
        int keys = r.nextInt(1, 4);
        int opsPerClient = r.nextInt(5, 26);
        boolean faulty = r.nextInt(8) != 0;
        double loss = faulty ? r.nextDouble() * 0.15 : 0;
        double duplicate = faulty ? r.nextDouble() * 0.1 : 0;
        int delayMax = faulty ? r.nextInt(1, 12) : 1;
        int partitions = faulty ? r.nextInt(0, 3) : 0;
        List<Byzantine> byzantine = chooseByzantine(r, n, kPrime);
        boolean crashes = k > 0 && faulty && r.nextBoolean();
        boolean rejuvenations = crashes && r.nextBoolean();
        return new SimParams(seed, config, clients, opsPerClient, keys, r.nextInt(0, 20), 25,
                loss, duplicate, delayMax, partitions, byzantine, crashes, rejuvenations,
                150 + r.nextInt(500), 40_000, 3, 0, badEntries(seed, n));
    }

    /**
     * A quarter of the seeds make client 0 Byzantine: its authenticator entries for each replica are
     * garbage with a chance of one half (a client that only some backups can check). From a stream
     * of its own, so that every other parameter of a seed is what it was before this one existed.
     */
    private static Set<Integer> badEntries(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed ^ 0xBAD_A077L);
        Set<Integer> bad = new TreeSet<>();
        if (r.nextInt(4) == 0) {
            for (int i = 0; i < n; i++) {
                if (r.nextBoolean()) {
                    bad.add(i);
                }
            }
        }
        return Set.copyOf(bad);
    }

    private static List<Byzantine> chooseByzantine(SplittableRandom r, int n, int kPrime) {
        int count = kPrime == 0 ? 0 : r.nextInt(kPrime + 1);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(i);
        }
        List<Byzantine> out = new ArrayList<>();
        Behavior[] all = Behavior.values();
        for (int b = 0; b < count; b++) {
            int id = ids.remove(r.nextInt(ids.size()));
            Set<Behavior> behaviors = EnumSet.noneOf(Behavior.class);
            int howMany = r.nextInt(1, 4);
            for (int i = 0; i < howMany; i++) {
                behaviors.add(all[r.nextInt(all.length)]);
            }
            out.add(new Byzantine(id, behaviors));
        }
        return out;
    }

    /** The same run with crashes as rejuvenations in turn on damaged disks (k must be > 0). */
    /** The same run with requests of up to {@code bytes} of operation sent to the leader only. */
    SimParams withLeaderOnlyRequests(int bytes) {
        return new SimParams(seed, config.withLeaderOnlyRequestBytesMax(bytes), clients, opsPerClient, keys, thinkTicksMax,
                clientRetransmitTicks, lossRate, duplicateRate, delayTicksMax, partitionsMax, byzantine, crashes,
                rejuvenations, safetyTicks, livenessTicksMax, floodMessagesPerTick, slowInboundTicks, badEntries);
    }

    SimParams withRejuvenations() {
        return new SimParams(seed, config, clients, opsPerClient, keys, thinkTicksMax, clientRetransmitTicks,
                lossRate, duplicateRate, delayTicksMax, partitionsMax, byzantine, true, true,
                safetyTicks, livenessTicksMax, floodMessagesPerTick, slowInboundTicks, badEntries);
    }

    /**
     * The same run tuned for read races: four clients without think time on one key, and every
     * replica but the first k'+1 receiving its peers' messages 20 ticks late (clients' messages in
     * time). A write then completes on the fast replicas' replies while the slow ones (enough to
     * answer a read on their own) have sent their commits for it but not yet executed it: a read
     * must wait for it there.
     */
    SimParams withReadRaces() {
        return new SimParams(seed, config, 4, opsPerClient, 1, 0, clientRetransmitTicks, lossRate, duplicateRate,
                delayTicksMax, partitionsMax, byzantine, crashes, rejuvenations, safetyTicks, livenessTicksMax,
                floodMessagesPerTick, 20, badEntries);
    }

    /**
     * The same run where only k'+1 replicas answer a request at once and the last replica lies to
     * clients (and is the run's only Byzantine one): whenever it is among the repliers, or one of them
     * is cut off, the client must re-send to get its k'+1 matching replies.
     */
    SimParams withFewestRepliersAndALiar() {
        List<Byzantine> liar = List.of(new Byzantine(config.n() - 1, EnumSet.of(Behavior.WRONG_REPLY)));
        return new SimParams(seed, config.withRepliersPerRequest(config.kPrime() + 1), clients, opsPerClient, keys,
                thinkTicksMax, clientRetransmitTicks, lossRate, duplicateRate, delayTicksMax, partitionsMax, liar, crashes,
                rejuvenations, safetyTicks, livenessTicksMax, floodMessagesPerTick, slowInboundTicks, badEntries);
    }

    /**
     * The same run on a network that loses, duplicates and delays nothing, without crashes, where k
     * backups are silent and k' others lie to clients (the last ones: the leader of view 0 stays
     * correct), and {@code repliers} replicas answer a request at once with full results (no digest
     * replies: a silent full replier would leave a client with digests only). With 2k'+k+1 of them
     * k'+1 correct ones are always among them, so no client ever needs to re-send.
     */
    SimParams withSilentAndLyingBackups(int repliers) {
        int n = config.n();
        List<Byzantine> faulty = new ArrayList<>();
        for (int i = 0; i < config.k(); i++) {
            faulty.add(new Byzantine(n - 1 - i, EnumSet.of(Behavior.SILENT)));
        }
        for (int i = 0; i < config.kPrime(); i++) {
            faulty.add(new Byzantine(n - 1 - config.k() - i, EnumSet.of(Behavior.WRONG_REPLY)));
        }
        return new SimParams(seed, config.withRepliersPerRequest(repliers).withDigestReplies(false), clients, opsPerClient, keys, thinkTicksMax,
                clientRetransmitTicks, 0, 0, 1, 0, List.copyOf(faulty), false, false, safetyTicks, livenessTicksMax,
                floodMessagesPerTick, 0, Set.of());
    }

    /**
     * The same run with client 0 Byzantine: its authenticator entries are garbage for every replica
     * but the first (the leader of view 0, which gets its new requests directly), so no backup can
     * check them and each of its requests waits at the backups until it re-sends them to all.
     */
    SimParams withBadAuthenticators() {
        Set<Integer> bad = new TreeSet<>();
        for (int i = 1; i < config.n(); i++) {
            bad.add(i);
        }
        return new SimParams(seed, config, Math.max(2, clients), opsPerClient, keys, thinkTicksMax, clientRetransmitTicks,
                lossRate, duplicateRate, delayTicksMax, partitionsMax, byzantine, crashes, rejuvenations, safetyTicks,
                livenessTicksMax, floodMessagesPerTick, slowInboundTicks, Set.copyOf(bad));
    }

    /** Extra delay of what replica {@code to} receives from its peers (until the network heals). */
    int inboundDelayTicks(int to) {
        return to > config.kPrime() && to < config.n() ? slowInboundTicks : 0;
    }

    boolean isByzantine(int replicaId) {
        return byzantine.stream().anyMatch(b -> b.replicaId() == replicaId);
    }

    @Override
    public String toString() {
        return "seed=" + seed + " n=" + config.n() + " k=" + config.k() + " k'=" + config.kPrime()
                + " K=" + config.checkpointIntervalSeqs() + " L=" + config.logWindowSeqs()
                + " pipeline=" + config.pipelineInstancesMax() + " batch=" + config.batchRequestsMax()
                + " digestReplies=" + config.digestReplies() + " repliers=" + config.repliersPerRequest()
                + " leaderOnlyBytes=" + config.leaderOnlyRequestBytesMax()
                + " busyBatchPerPeer=" + config.busyBatchRequestsPerPeerMin()
                + " clients=" + clients + "x" + opsPerClient + " keys=" + keys
                + String.format(" loss=%.3f dup=%.3f", lossRate, duplicateRate) + " delayMax=" + delayTicksMax
                + (slowInboundTicks > 0 ? " slowInbound=" + slowInboundTicks : "")
                + " partitions=" + partitionsMax + " crashes=" + crashes + " rejuvenations=" + rejuvenations
                + " byzantine=" + byzantine + (badEntries.isEmpty() ? "" : " badAuthenticatorEntries=" + badEntries)
                + " safetyTicks=" + safetyTicks;
    }
}
