package io.rsmr.replica.protocol.message;

import java.util.List;

/**
 * Signed request of {@code replicaId} to move to {@code newView}, with its stable checkpoint
 * certificate and, for every sequence number above it, its latest prepared claim ({@code prepared},
 * at most one per seq) and the digests it pre-prepared with the latest view each
 * ({@code prePrepared}, a few per seq).
 */
public record ViewChange(int replicaId, long epoch, long newView, CheckpointCertificate stable,
                         List<SlotClaim> prepared, List<SlotClaim> prePrepared, byte[] signature)
        implements Message {
    public ViewChange {
        prepared = List.copyOf(prepared);
        prePrepared = List.copyOf(prePrepared);
    }
}
