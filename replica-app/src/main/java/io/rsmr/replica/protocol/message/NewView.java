package io.rsmr.replica.protocol.message;

import java.util.List;

/**
 * Signed by the leader of {@code view}: the view changes it decided from. Every replica recomputes
 * the decision from them, so the message carries no proposals of its own.
 */
public record NewView(int replicaId, long epoch, long view, List<ViewChange> viewChanges, byte[] signature)
        implements Message {
    public NewView {
        viewChanges = List.copyOf(viewChanges);
    }
}
