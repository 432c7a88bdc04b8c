package io.rsmr.replica.protocol.message;

import java.util.List;

/**
 * q signed {@link Checkpoint}s from distinct replicas that agree on (seq, stateDigest): the
 * stable checkpoint. The genesis certificate (seq 0, zero digest, no proofs) is implicit.
 */
public record CheckpointCertificate(long seq, byte[] stateDigest, List<Checkpoint> proofs) implements Message {
    public CheckpointCertificate {
        proofs = List.copyOf(proofs);
    }

    public static CheckpointCertificate genesis() {
        return new CheckpointCertificate(0, new byte[Digests.DIGEST_BYTES], List.of());
    }
}
