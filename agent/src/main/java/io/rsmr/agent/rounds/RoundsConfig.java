package io.rsmr.agent.rounds;

import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ReplicaSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the rounds logic needs to know, in milliseconds of the agents' clocks.
 *
 * @param replicaHosts       replica id → host, in rejuvenation order
 * @param k                  replicas per group
 * @param epochMillis        start of round 0
 * @param tpMillis           T_p
 * @param tdMillis           T_d
 * @param localExecMillis    T_localexec, one group's slot
 * @param clockOffsetMaxMillis bound on the offset between two agents' clocks (the paper's P2);
 *                           a larger offset seen in a heartbeat raises an alert
 * @param startSlackMillis   how late a group's "started" may be seen and still count as on time:
 *                           twice the clock offset bound plus the management LAN's delivery bound
 *                           and one tick (the paper's P1 and P2)
 * @param silenceMaxMillis   an agent not heard from for this long is reported silent
 * @param rebroadcastMillis  how often known round messages are sent again (they may be lost; they
 *                           are idempotent, so a copy never hurts)
 * @param roundsKept         how many past rounds the status keeps
 */
public record RoundsConfig(Map<Integer, String> replicaHosts, int k, long epochMillis, long tpMillis, long tdMillis,
                           long localExecMillis, long clockOffsetMaxMillis, long startSlackMillis, long silenceMaxMillis, long rebroadcastMillis,
                           int roundsKept) {
    public static final long CLOCK_OFFSET_MAX_MILLIS_DEFAULT = 200;
    public static final long START_SLACK_MILLIS_DEFAULT = 2 * CLOCK_OFFSET_MAX_MILLIS_DEFAULT + 200;
    public static final long SILENCE_MAX_MILLIS_DEFAULT = 3_000;
    public static final long REBROADCAST_MILLIS_DEFAULT = 1_000;
    public static final int ROUNDS_KEPT_DEFAULT = 16;

    public RoundsConfig {
        replicaHosts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(replicaHosts));
        if (k < 1) {
            throw new IllegalArgumentException("rounds need k >= 1, got " + k);
        }
        if (!(localExecMillis > 0 && tdMillis > 0 && tpMillis > tdMillis)) {
            throw new IllegalArgumentException("need 0 < T_localexec, 0 < T_d < T_p");
        }
        if (replicaHosts.isEmpty() || roundsKept < 2) {
            throw new IllegalArgumentException("need replicas and roundsKept >= 2");
        }
    }

    public static RoundsConfig from(ClusterConfig c) {
        Map<Integer, String> hosts = new LinkedHashMap<>();
        for (ReplicaSpec r : c.replicas()) {
            hosts.put(r.id(), r.host());
        }
        return new RoundsConfig(hosts, c.faults().k(), c.timing().epoch().toEpochMilli(), millis(c.timing().tp()),
                millis(c.timing().td()), millis(c.timing().localExec()), CLOCK_OFFSET_MAX_MILLIS_DEFAULT, START_SLACK_MILLIS_DEFAULT,
                SILENCE_MAX_MILLIS_DEFAULT, REBROADCAST_MILLIS_DEFAULT, ROUNDS_KEPT_DEFAULT);
    }

    private static long millis(Duration d) {
        return d.toMillis();
    }

    public int replicaCount() {
        return replicaHosts.size();
    }

    public int groupCount() {
        return (replicaCount() + k - 1) / k;
    }

    /** The replicas of group g, in configured order. */
    public List<Integer> group(int g) {
        List<Integer> ids = new ArrayList<>(replicaHosts.keySet());
        return ids.subList(g * k, Math.min(ids.size(), (g + 1) * k));
    }

    public int groupOf(int replicaId) {
        int i = new ArrayList<>(replicaHosts.keySet()).indexOf(replicaId);
        if (i < 0) {
            throw new IllegalArgumentException("no replica " + replicaId);
        }
        return i / k;
    }

    public List<String> hosts() {
        return replicaHosts.values().stream().distinct().toList();
    }

    public long roundStart(long round) {
        return epochMillis + round * tpMillis;
    }

    /** The planned start of group g of round r: the round's start + g·T_localexec. */
    public long plannedStart(long round, int g) {
        return roundStart(round) + g * localExecMillis;
    }

    public long roundDeadline(long round) {
        return roundStart(round) + tdMillis;
    }

    /** The round whose period contains {@code nowMillis}; −1 before the epoch. */
    public long roundAt(long nowMillis) {
        return nowMillis < epochMillis ? -1 : (nowMillis - epochMillis) / tpMillis;
    }
}
