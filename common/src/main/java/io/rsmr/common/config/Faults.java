package io.rsmr.common.config;

/**
 * The fault parameters of section 3.3.
 *
 * @param k      replicas rejuvenated at the same time (fail-silent while they recover)
 * @param kPrime replicas that may be Byzantine between rejuvenations
 */
public record Faults(int k, int kPrime) {
    /** The fewest replicas that stay available and safe: n ≥ 3k' + 2k + 1. */
    public int minReplicas() {
        return 3 * kPrime + 2 * k + 1;
    }

    /** The fewest replicas if rejuvenating replicas could be Byzantine too: 3(k + k') + 1. */
    public int minReplicasIfRecoveringByzantine() {
        return 3 * (k + kPrime) + 1;
    }

    /** The quorum q = n − k − k': two quorums meet in at least k' + 1 replicas when n ≥ 3k' + 2k + 1. */
    public int quorum(int n) {
        return n - k - kPrime;
    }

    /** Matching replies a client needs: k' + 1, so at least one comes from a correct replica. */
    public int replyQuorum() {
        return kPrime + 1;
    }
}
