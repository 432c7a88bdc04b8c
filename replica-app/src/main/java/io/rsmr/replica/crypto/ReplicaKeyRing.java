package io.rsmr.replica.crypto;

import io.rsmr.common.crypto.EpochCertificate;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this process trusts about replica keys: the cluster name, each replica's host-agent key
 * (from the cluster config), and the epoch certificates it has checked. A certificate for an
 * older epoch than the newest known for that replica is refused, so a key stolen before a
 * rejuvenation is useless after it. Thread-safe.
 */
public final class ReplicaKeyRing {
    /** Keys of this many most recent epochs per replica stay verifiable (for signed certificates). */
    public static final int EPOCHS_KEPT_MAX = 4;

    private final String clusterName;
    private final Map<Integer, byte[]> agentKeys;
    private final Map<Integer, NavigableMap<Long, byte[]>> replicaKeys = new ConcurrentHashMap<>();

    public ReplicaKeyRing(String clusterName, Map<Integer, byte[]> agentKeysByReplica) {
        this.clusterName = clusterName;
        this.agentKeys = Map.copyOf(agentKeysByReplica);
    }

    public String clusterName() {
        return clusterName;
    }

    public boolean knowsReplica(int replicaId) {
        return agentKeys.containsKey(replicaId);
    }

    /**
     * Checks a certificate and, when good, remembers its key. Returns null when accepted, else why
     * not (for the log and the drop counter).
     */
    public String admit(EpochCertificate certificate) {
        byte[] agentKey = agentKeys.get(certificate.replicaId());
        if (agentKey == null) {
            return "no replica " + certificate.replicaId() + " in the cluster config";
        }
        if (!clusterName.equals(certificate.clusterName())) {
            return "certificate is for cluster '" + certificate.clusterName() + "'";
        }
        if (!certificate.verify(agentKey)) {
            return "certificate of replica " + certificate.replicaId() + " not signed by its agent";
        }
        return remember(certificate);
    }

    /** The newest epoch known for the replica, or -1. */
    public long newestEpoch(int replicaId) {
        NavigableMap<Long, byte[]> keys = replicaKeys.get(replicaId);
        synchronized (this) {
            return keys == null || keys.isEmpty() ? -1 : keys.lastKey();
        }
    }

    /** The key of the replica in that epoch, or null if unknown or too old. */
    public byte[] publicKey(int replicaId, long epoch) {
        NavigableMap<Long, byte[]> keys = replicaKeys.get(replicaId);
        synchronized (this) {
            return keys == null ? null : keys.get(epoch);
        }
    }

    private synchronized String remember(EpochCertificate certificate) {
        NavigableMap<Long, byte[]> keys =
                replicaKeys.computeIfAbsent(certificate.replicaId(), id -> new TreeMap<>());
        if (!keys.isEmpty() && certificate.epoch() < keys.lastKey()) {
            return "replica " + certificate.replicaId() + " epoch " + certificate.epoch()
                    + " is older than the known epoch " + keys.lastKey();
        }
        byte[] known = keys.get(certificate.epoch());
        if (known != null && !java.util.Arrays.equals(known, certificate.publicKey())) {
            return "replica " + certificate.replicaId() + " has two keys for epoch " + certificate.epoch();
        }
        keys.put(certificate.epoch(), certificate.publicKey());
        while (keys.size() > EPOCHS_KEPT_MAX) {
            keys.pollFirstEntry();
        }
        return null;
    }
}
