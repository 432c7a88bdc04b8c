package io.rsmr.replica.protocol.message;

/** Asks peers for the checkpoint state at seq (certified by a stable checkpoint certificate). */
public record FetchState(long seq) implements Message {
}
