package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.service.Service;

import java.util.EnumMap;
import java.util.Map;

/**
 * The pure ordering protocol of one replica (PBFT with q = n-k-k' quorums): {@code Output step(Input)}.
 * No threads, sockets, clocks or files; time arrives as {@link Input.Tick}.
 */
public class ReplicaCore {
    private final ProtocolConfig config;
    private final int replicaId;
    private final Service service;
    private final Signatures signatures;
    private final Output out = new Output();
    private final Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);

    public ReplicaCore(ProtocolConfig config, int replicaId, Service service, Signatures signatures) {
        if (replicaId < 0 || replicaId >= config.n()) {
            throw new IllegalArgumentException("replicaId " + replicaId + " not in [0, " + config.n() + ")");
        }
        this.config = config;
        this.replicaId = replicaId;
        this.service = service;
        this.signatures = signatures;
    }

    /** Handles one input; the returned Output is reused by the next call. */
    public Output step(Input input) {
        out.clear();
        throw new UnsupportedOperationException("ReplicaCore.step is being written (API skeleton)");
    }

    public int replicaId() {
        return replicaId;
    }

    public ProtocolConfig config() {
        return config;
    }

    public long view() {
        throw new UnsupportedOperationException("API skeleton");
    }

    public boolean inViewChange() {
        throw new UnsupportedOperationException("API skeleton");
    }

    public long lastExecutedSeq() {
        throw new UnsupportedOperationException("API skeleton");
    }

    public byte[] chainHash() {
        throw new UnsupportedOperationException("API skeleton");
    }

    /** The latest stable checkpoint certificate (what a recovering peer asks for). */
    public CheckpointCertificate stableCertificate() {
        throw new UnsupportedOperationException("API skeleton");
    }

    /** The checkpoint state certified by {@link #stableCertificate()}. */
    public byte[] stableState() {
        throw new UnsupportedOperationException("API skeleton " + service + signatures);
    }

    public long dropCount(DropReason reason) {
        return drops.getOrDefault(reason, 0L);
    }

    public Map<DropReason, Long> dropCounts() {
        return Map.copyOf(drops);
    }
}
