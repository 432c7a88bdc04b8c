package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Authenticators;

/**
 * Every parameter and limit of the ordering protocol. n, k, k' come from the cluster config;
 * the rest have defaults sized for a 2-core loopback benchmark. Ticks are the shell's timer unit
 * (the node shell documents its tick length).
 *
 * @param n replicas
 * @param k replicas that may be silent at once (being rejuvenated)
 * @param kPrime replicas that may be Byzantine at once
 * @param checkpointIntervalSeqs K: a checkpoint after every K sequence numbers
 * @param logWindowSeqs L: sequence numbers accepted above the stable checkpoint (high watermark)
 * @param pipelineInstancesMax proposals the leader keeps in flight beyond its last executed seq
 * @param batchRequestsMax requests in one batch
 * @param batchBytesMax operation bytes in one batch
 * @param requestBytesMax bytes of one client operation
 * @param replyBytesMax bytes of one result
 * @param stateBytesMax bytes of one checkpoint state (service snapshot + reply cache)
 * @param chunkBytesMax bytes of one chunk of a checkpoint state (the unit of state transfer)
 * @param stateChunksMax chunks of one checkpoint state
 * @param transferChunksInFlightMax chunks a recovering replica asks one peer for at a time
 * @param serveBytesPerTickMax chunk bytes a replica sends to recovering peers per tick, all together:
 *        the rate limit that keeps a state transfer from slowing the ordering of requests (a chunk
 *        larger than it goes out when the budget is positive and is paid off over later ticks)
 * @param verifyBytesPerTickMax local chunk bytes a recovering replica checks per tick (bounds one step)
 * @param messageBytesMax bytes of one encoded message (the transport's frame limit)
 * @param clientsMax clients in the reply cache and pending-request table
 * @param requestTimeoutTicks a request pending this long makes a backup suspect the leader
 * @param viewChangeTimeoutTicks first wait for a new view; doubles on each failed view change
 * @param statusIntervalTicks period of status messages (which drive retransmission)
 * @param retransmitSeqsMax sequence numbers retransmitted per status answer
 * @param prePreparedClaimsPerSeqMax pre-prepared digests remembered per seq for view changes
 * @param signatureBytesMax bytes of one signature
 * @param digestReplies whether only one replica per request (chosen by client id and request seq)
 *        sends the full result and the others its digest; clients must handle {@code ReplyDigest}
 * @param repliersPerRequest replicas that answer a request the first time they hear of it (chosen by
 *        client id and request seq, {@link #answersAtOnce}); the others answer only once the client
 *        re-sends it. n: all answer. Fewer replies cost the replicas and the client fewer frames and
 *        wake-ups per operation; the default, 2k'+k+1, keeps k'+1 correct ones among them when k are
 *        silent and k' lie.
 * @param busyBatchRequestsPerPeerMin while an instance is in flight the leader starts another only
 *        with at least this many requests per peer at hand (times n - 1, at most batchRequestsMax);
 *        with none in flight it proposes at once. A batch costs every replica about 2(n - 1) protocol
 *        messages whatever it carries, so this bounds their number per request alike at every n
 *        instead of letting a deep pipeline split the load into small batches. 0: whenever the
 *        pipeline has room.
 * @param leaderOnlyRequestBytesMax a client sends a request with an operation of at most this many
 *        bytes to the leader only, with an authenticator, and a larger one to every replica without one
 *        (the leader's proposal then names it only): for small operations the frames dominate the cost
 *        and the leader relays them cheaply; for large ones the bytes do, and relaying them all through
 *        the leader makes it the busiest process. -1: every request goes to every replica.
 */
public record ProtocolConfig(
        int n, int k, int kPrime,
        int checkpointIntervalSeqs, int logWindowSeqs, int pipelineInstancesMax,
        int batchRequestsMax, int batchBytesMax, int requestBytesMax, int replyBytesMax,
        int stateBytesMax, int chunkBytesMax, int stateChunksMax, int transferChunksInFlightMax,
        int serveBytesPerTickMax, int verifyBytesPerTickMax, int messageBytesMax, int clientsMax,
        int requestTimeoutTicks, int viewChangeTimeoutTicks, int statusIntervalTicks,
        int retransmitSeqsMax, int prePreparedClaimsPerSeqMax, int signatureBytesMax, boolean digestReplies,
        int repliersPerRequest, int leaderOnlyRequestBytesMax, int busyBatchRequestsPerPeerMin) {

    private static final int MESSAGE_OVERHEAD_BYTES = 1024;

    public ProtocolConfig {
        require(k >= 0 && kPrime >= 0, "k and kPrime must be >= 0 (k=" + k + ", kPrime=" + kPrime + ")");
        require(n >= 3 * kPrime + 2 * k + 1,
                "n must be >= 3k'+2k+1 = " + (3 * kPrime + 2 * k + 1) + " (n=" + n + ", k=" + k + ", k'=" + kPrime + ")");
        require(checkpointIntervalSeqs >= 1, "checkpointIntervalSeqs must be >= 1");
        require(logWindowSeqs >= 2 * checkpointIntervalSeqs && logWindowSeqs % checkpointIntervalSeqs == 0,
                "logWindowSeqs must be a multiple of checkpointIntervalSeqs and >= 2 of them");
        require(pipelineInstancesMax >= 1 && pipelineInstancesMax <= logWindowSeqs,
                "pipelineInstancesMax must be in [1, logWindowSeqs]");
        require(batchRequestsMax >= 1, "batchRequestsMax must be >= 1");
        require(requestBytesMax >= 1 && batchBytesMax >= requestBytesMax,
                "batchBytesMax must be >= requestBytesMax >= 1");
        require(replyBytesMax >= 1, "replyBytesMax must be >= 1");
        require(stateBytesMax >= 1, "stateBytesMax must be >= 1");
        require(chunkBytesMax >= 1 && stateChunksMax >= 2 && transferChunksInFlightMax >= 1,
                "chunkBytesMax, transferChunksInFlightMax must be >= 1 and stateChunksMax >= 2");
        require(serveBytesPerTickMax >= 1 && verifyBytesPerTickMax >= 1,
                "serveBytesPerTickMax and verifyBytesPerTickMax must be >= 1");
        require(messageBytesMax >= chunkBytesMax + MESSAGE_OVERHEAD_BYTES
                        && messageBytesMax >= (long) stateChunksMax * 36 + MESSAGE_OVERHEAD_BYTES
                        && messageBytesMax >= batchBytesMax + (long) batchRequestsMax * proposalBytesPerRequest(n)
                                + MESSAGE_OVERHEAD_BYTES,
                "messageBytesMax must hold a chunk, a state manifest and a full proposal");
        require(clientsMax >= 1, "clientsMax must be >= 1");
        require(requestTimeoutTicks >= 1 && viewChangeTimeoutTicks >= 1 && statusIntervalTicks >= 1,
                "timeouts and intervals must be >= 1 tick");
        require(retransmitSeqsMax >= 1, "retransmitSeqsMax must be >= 1");
        require(prePreparedClaimsPerSeqMax >= 1, "prePreparedClaimsPerSeqMax must be >= 1");
        require(signatureBytesMax >= 1, "signatureBytesMax must be >= 1");
        require(repliersPerRequest >= kPrime + 1 && repliersPerRequest <= n,
                "repliersPerRequest must be in [k'+1, n] (" + repliersPerRequest + ")");
        require(leaderOnlyRequestBytesMax >= -1, "leaderOnlyRequestBytesMax must be >= -1");
        require(busyBatchRequestsPerPeerMin >= 0, "busyBatchRequestsPerPeerMin must be >= 0");
    }

    /**
     * Bytes a pre-prepare spends per request besides its operation: the reference (client, seq,
     * operation digest), a presence byte, two length prefixes and an authenticator entry per replica.
     */
    private static long proposalBytesPerRequest(int n) {
        return 8 + 8 + 32 + 1 + 4 + 4 + (long) Authenticators.bytesFor(n);
    }

    /**
     * Measured (bench/replica-throughput.md, session 5): 0-byte requests to the leader only cost all
     * processes a fifth less CPU per operation at n = 6; 1 KiB ones cost the same at n = 6 and a few
     * per cent more at n = 4 (the leader sends every operation n - 1 times). The threshold sits between.
     */
    public static final int LEADER_ONLY_REQUEST_BYTES_MAX_DEFAULT = 512;

    /**
     * See {@link #busyBatchRequestsPerPeerMin}. Measured (bench/replica-throughput.md, session 6, 64
     * clients): 3 (batches of at least 9 at n = 4 and 15 at n = 6 while one is in flight) lowered the
     * CPU per operation of both shapes at 0 B and 1 KiB by about a tenth and cost n = 4 neither
     * throughput nor p50.
     */
    public static final int BUSY_BATCH_REQUESTS_PER_PEER_MIN_DEFAULT = 3;

    /** Defaults for a cluster of n replicas tolerating k silent and k' Byzantine ones. */
    public static ProtocolConfig defaults(int n, int k, int kPrime) {
        return new ProtocolConfig(n, k, kPrime,
                128, 256, 4,
                512, 1 << 20, 64 << 10, 64 << 10,
                64 << 20, 1 << 20, 1 << 16, 16,
                1 << 20, 16 << 20, 4 << 20, 100_000,
                200, 200, 10,
                32, 4, 128, false, repliersPerRequestDefault(n, k, kPrime), LEADER_ONLY_REQUEST_BYTES_MAX_DEFAULT,
                BUSY_BATCH_REQUESTS_PER_PEER_MIN_DEFAULT);
    }

    /**
     * 2k' + k + 1 (at most n): with up to k of them silent and k' lying, k' + 1 correct ones still
     * answer at once, so a client needs no re-send in the fault model; every reply beyond them costs
     * a replica a reply to encode and send and the client one to receive and check.
     */
    static int repliersPerRequestDefault(int n, int k, int kPrime) {
        return Math.min(n, 2 * kPrime + k + 1);
    }

    /** q = n - k - k': two quorums meet in at least k'+1 replicas. */
    public int quorum() {
        return n - k - kPrime;
    }

    /** Requests the leader waits for before it starts an instance while another is in flight. */
    public int busyBatchRequestsMin() {
        return (int) Math.min(batchRequestsMax, (long) busyBatchRequestsPerPeerMin * (n - 1));
    }

    /** Matching replies a client needs: k'+1. */
    public int replyQuorum() {
        return kPrime + 1;
    }

    /**
     * Matching answers a client needs on the read fast path: k+2k'+1, so that they share at least
     * k'+1 replicas (one correct) with any q replicas that committed a write.
     */
    public int readQuorum() {
        return k + 2 * kPrime + 1;
    }

    /** Leader of a view: chosen deterministically, view mod n. */
    public int leaderOf(long view) {
        return (int) (view % n);
    }

    public ProtocolConfig withWindow(int checkpointIntervalSeqs, int logWindowSeqs, int pipelineInstancesMax) {
        Builder b = toBuilder();
        b.checkpointIntervalSeqs = checkpointIntervalSeqs;
        b.logWindowSeqs = logWindowSeqs;
        b.pipelineInstancesMax = pipelineInstancesMax;
        return b.build();
    }

    public ProtocolConfig withBatch(int batchRequestsMax, int batchBytesMax) {
        Builder b = toBuilder();
        b.batchRequestsMax = batchRequestsMax;
        b.batchBytesMax = batchBytesMax;
        return b.build();
    }

    public ProtocolConfig withTimeouts(int requestTimeoutTicks, int viewChangeTimeoutTicks, int statusIntervalTicks) {
        Builder b = toBuilder();
        b.requestTimeoutTicks = requestTimeoutTicks;
        b.viewChangeTimeoutTicks = viewChangeTimeoutTicks;
        b.statusIntervalTicks = statusIntervalTicks;
        return b.build();
    }

    /** The state transfer rate limit as bytes per second, for ticks of {@code tickMillis}. */
    public ProtocolConfig withServeRate(long bytesPerSecond, long tickMillis) {
        Builder b = toBuilder();
        b.serveBytesPerTickMax = (int) Math.max(1, Math.min(Integer.MAX_VALUE, bytesPerSecond * tickMillis / 1000));
        return b.build();
    }

    public ProtocolConfig withDigestReplies(boolean digestReplies) {
        Builder b = toBuilder();
        b.digestReplies = digestReplies;
        return b.build();
    }

    public ProtocolConfig withRepliersPerRequest(int repliersPerRequest) {
        Builder b = toBuilder();
        b.repliersPerRequest = repliersPerRequest;
        return b.build();
    }

    public ProtocolConfig withBusyBatchRequestsPerPeerMin(int busyBatchRequestsPerPeerMin) {
        Builder b = toBuilder();
        b.busyBatchRequestsPerPeerMin = busyBatchRequestsPerPeerMin;
        return b.build();
    }

    public ProtocolConfig withLeaderOnlyRequestBytesMax(int leaderOnlyRequestBytesMax) {
        Builder b = toBuilder();
        b.leaderOnlyRequestBytesMax = leaderOnlyRequestBytesMax;
        return b.build();
    }

    /** A copy to change some values of; {@link Builder#build()} validates them all again. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable copy of a config; build() checks every constraint. */
    public static final class Builder {
        public int n;
        public int k;
        public int kPrime;
        public int checkpointIntervalSeqs;
        public int logWindowSeqs;
        public int pipelineInstancesMax;
        public int batchRequestsMax;
        public int batchBytesMax;
        public int requestBytesMax;
        public int replyBytesMax;
        public int stateBytesMax;
        public int chunkBytesMax;
        public int stateChunksMax;
        public int transferChunksInFlightMax;
        public int serveBytesPerTickMax;
        public int verifyBytesPerTickMax;
        public int messageBytesMax;
        public int clientsMax;
        public int requestTimeoutTicks;
        public int viewChangeTimeoutTicks;
        public int statusIntervalTicks;
        public int retransmitSeqsMax;
        public int prePreparedClaimsPerSeqMax;
        public int signatureBytesMax;
        public boolean digestReplies;
        public int repliersPerRequest;
        public int leaderOnlyRequestBytesMax;
        public int busyBatchRequestsPerPeerMin;

        private Builder(ProtocolConfig c) {
            n = c.n;
            k = c.k;
            kPrime = c.kPrime;
            checkpointIntervalSeqs = c.checkpointIntervalSeqs;
            logWindowSeqs = c.logWindowSeqs;
            pipelineInstancesMax = c.pipelineInstancesMax;
            batchRequestsMax = c.batchRequestsMax;
            batchBytesMax = c.batchBytesMax;
            requestBytesMax = c.requestBytesMax;
            replyBytesMax = c.replyBytesMax;
            stateBytesMax = c.stateBytesMax;
            chunkBytesMax = c.chunkBytesMax;
            stateChunksMax = c.stateChunksMax;
            transferChunksInFlightMax = c.transferChunksInFlightMax;
            serveBytesPerTickMax = c.serveBytesPerTickMax;
            verifyBytesPerTickMax = c.verifyBytesPerTickMax;
            messageBytesMax = c.messageBytesMax;
            clientsMax = c.clientsMax;
            requestTimeoutTicks = c.requestTimeoutTicks;
            viewChangeTimeoutTicks = c.viewChangeTimeoutTicks;
            statusIntervalTicks = c.statusIntervalTicks;
            retransmitSeqsMax = c.retransmitSeqsMax;
            prePreparedClaimsPerSeqMax = c.prePreparedClaimsPerSeqMax;
            signatureBytesMax = c.signatureBytesMax;
            digestReplies = c.digestReplies;
            repliersPerRequest = c.repliersPerRequest;
            leaderOnlyRequestBytesMax = c.leaderOnlyRequestBytesMax;
            busyBatchRequestsPerPeerMin = c.busyBatchRequestsPerPeerMin;
        }

        public ProtocolConfig build() {
            return new ProtocolConfig(n, k, kPrime, checkpointIntervalSeqs, logWindowSeqs, pipelineInstancesMax,
                    batchRequestsMax, batchBytesMax, requestBytesMax, replyBytesMax, stateBytesMax, chunkBytesMax,
                    stateChunksMax, transferChunksInFlightMax, serveBytesPerTickMax, verifyBytesPerTickMax, messageBytesMax,
                    clientsMax, requestTimeoutTicks, viewChangeTimeoutTicks, statusIntervalTicks, retransmitSeqsMax,
                    prePreparedClaimsPerSeqMax, signatureBytesMax, digestReplies, repliersPerRequest,
                    leaderOnlyRequestBytesMax, busyBatchRequestsPerPeerMin);
        }
    }

    /** The replica that sends the full result of a request when digest replies are on. */
    public int fullReplierOf(long clientId, long requestSeq) {
        return (int) Math.floorMod(clientId + requestSeq, (long) n);
    }

    /**
     * Whether the replica answers a request it executes without the client having re-sent it: the
     * repliersPerRequest replicas from {@link #fullReplierOf} on, so that every replica answers an
     * equal share of the requests.
     */
    public boolean answersAtOnce(int replica, long clientId, long requestSeq) {
        return Math.floorMod(replica - fullReplierOf(clientId, requestSeq), n) < repliersPerRequest;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("protocol config: " + message);
        }
    }
}
