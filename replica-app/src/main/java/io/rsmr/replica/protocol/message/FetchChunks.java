package io.rsmr.replica.protocol.message;

import java.util.List;

/** Asks one peer for some chunks (by index in the manifest) of the checkpoint state at seq. */
public record FetchChunks(long seq, List<Integer> indexes) implements Message {
    public FetchChunks {
        indexes = List.copyOf(indexes);
    }
}
