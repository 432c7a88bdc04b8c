package io.rsmr.replica.node;

import io.rsmr.common.crypto.EpochIdentity;
import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.protocol.ProtocolConfig;
import io.rsmr.replica.storage.FsyncPolicy;
import io.rsmr.replica.transport.Membership;
import io.rsmr.replica.transport.TransportConfig;
import io.rsmr.replica.schedule.HandOverSchedule;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything one replica process runs with.
 *
 * @param tickMillis length of the core's tick (its timeouts are counted in ticks)
 * @param statusWriteIntervalMillis least time between two writes of the status file
 * @param fsyncPolicy when writes reach the disk ({@link FsyncPolicy#ALWAYS} but to measure its cost)
 * @param byzantineMode TEST ONLY misbehaviour; {@link ByzantineMode#NONE} in production
 * @param handOver when this replica hands leadership over before its rejuvenation slots (empty:
 *        never, e.g. k = 0 or no schedule known)
 */
public record NodeSettings(
        Membership membership,
        int replicaId,
        EpochIdentity identity,
        Path dataDir,
        ProtocolConfig protocol,
        TransportConfig transport,
        KvLimits kvLimits,
        long tickMillis,
        long statusWriteIntervalMillis,
        FsyncPolicy fsyncPolicy,
        ByzantineMode byzantineMode,
        Optional<HandOverSchedule> handOver) {

    /** Ticks of 10 ms, so the core's default timeouts mean 2 s (request) and 100 ms (status). */
    public static final long TICK_MILLIS_DEFAULT = 10;
    /** The status file costs a state digest and a rename; once a second is plenty for operators and tests. */
    public static final long STATUS_WRITE_INTERVAL_MILLIS_DEFAULT = 1000;

    public NodeSettings {
        if (membership.coreIndex(replicaId) < 0) {
            throw new IllegalArgumentException("replica " + replicaId + " is not in the cluster config");
        }
        if (identity.replicaId() != replicaId) {
            throw new IllegalArgumentException("the identity is for replica " + identity.replicaId()
                    + ", not replica " + replicaId);
        }
        if (!identity.certificate().clusterName().equals(membership.clusterName())) {
            throw new IllegalArgumentException("the identity is for cluster '"
                    + identity.certificate().clusterName() + "', not '" + membership.clusterName() + "'");
        }
        if (protocol.n() != membership.n() || protocol.messageBytesMax() > transport.messageBytesMax()) {
            throw new IllegalArgumentException("protocol config does not match the membership or the frame limit");
        }
        if (tickMillis < 1 || statusWriteIntervalMillis < 1) {
            throw new IllegalArgumentException("tickMillis and statusWriteIntervalMillis must be >= 1");
        }
    }

    /**
     * Consensus instances the leader keeps in flight. Fewer instances make bigger batches under
     * load: measured here (n = 4, 64 closed-loop clients, 0-byte requests, one noisy run each),
     * 2: 11,000 ops/s; 4: 17,000-18,300; 8: 8,800; 16 (the core's default): 6,500.
     */
    public static final int PIPELINE_INSTANCES_DEFAULT = 4;

    /** The defaults for a replica of this membership. */
    public static NodeSettings defaults(Membership membership, int replicaId, EpochIdentity identity, Path dataDir) {
        ProtocolConfig protocol = pipelined(ProtocolConfig.defaults(membership.n(), membership.k(), membership.kPrime()));
        return new NodeSettings(membership, replicaId, identity, dataDir, protocol,
                TransportConfig.defaults().withMessageBytesMax(protocol.messageBytesMax()), KvLimits.defaults(),
                TICK_MILLIS_DEFAULT, STATUS_WRITE_INTERVAL_MILLIS_DEFAULT, FsyncPolicy.ALWAYS, ByzantineMode.NONE,
                Optional.empty());
    }

    /**
     * The core's config with this shell's pipeline depth. Digest replies stay off: with them on,
     * n = 4, 64 clients, 0 B gave 5,500 ops/s against 10,500 without, in back-to-back runs here
     * (clients then often re-ask for the one full result); the client understands both.
     */
    public static ProtocolConfig pipelined(ProtocolConfig protocol) {
        return protocol.withWindow(protocol.checkpointIntervalSeqs(), protocol.logWindowSeqs(), PIPELINE_INSTANCES_DEFAULT);
    }

    public NodeSettings withByzantineMode(ByzantineMode mode) {
        return new NodeSettings(membership, replicaId, identity, dataDir, protocol, transport, kvLimits, tickMillis,
                statusWriteIntervalMillis, fsyncPolicy, mode, handOver);
    }

    public NodeSettings withFsyncPolicy(FsyncPolicy policy) {
        return new NodeSettings(membership, replicaId, identity, dataDir, protocol, transport, kvLimits, tickMillis,
                statusWriteIntervalMillis, policy, byzantineMode, handOver);
    }

    public NodeSettings withHandOver(Optional<HandOverSchedule> schedule) {
        return new NodeSettings(membership, replicaId, identity, dataDir, protocol, transport, kvLimits, tickMillis,
                statusWriteIntervalMillis, fsyncPolicy, byzantineMode, schedule);
    }
}
