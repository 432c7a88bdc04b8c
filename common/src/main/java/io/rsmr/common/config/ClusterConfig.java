package io.rsmr.common.config;

import java.util.List;
import java.util.Optional;

/**
 * One deployment, as described by {@code cluster.yaml}. Instances come from {@link ClusterConfigLoader},
 * which validates every field, so code that receives one may rely on all of it.
 *
 * @param cluster  the cluster's name; messages of other clusters are refused
 * @param replicas the replicas, in rejuvenation order
 * @param replication optional settings of the replicas ({@link Replication#DEFAULTS} when absent)
 */
public record ClusterConfig(String cluster, Faults faults, Timing timing, List<ReplicaSpec> replicas,
                            FailSafe failSafe, Images images, Keys keys, Replication replication) {
    public ClusterConfig {
        replicas = replicas == null ? List.of() : List.copyOf(replicas);
        replication = replication == null ? Replication.DEFAULTS : replication;
    }

    public int n() {
        return replicas.size();
    }

    public Optional<ReplicaSpec> replica(int id) {
        return replicas.stream().filter(r -> r.id() == id).findFirst();
    }

    /** The same deployment with another list of replicas (what-if planning, tests). */
    public ClusterConfig withReplicas(List<ReplicaSpec> other) {
        return new ClusterConfig(cluster, faults, timing, other, failSafe, images, keys, replication);
    }

    public ClusterConfig withTiming(Timing other) {
        return new ClusterConfig(cluster, faults, other, replicas, failSafe, images, keys, replication);
    }

    public ClusterConfig withFaults(Faults other) {
        return new ClusterConfig(cluster, other, timing, replicas, failSafe, images, keys, replication);
    }
}
