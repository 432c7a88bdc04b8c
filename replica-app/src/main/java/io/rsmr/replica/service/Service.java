package io.rsmr.replica.service;

import java.util.List;

/**
 * A deterministic state machine replicated by the ordering protocol. All methods are called from
 * one thread, in the agreed order. Given the same snapshot and the same batches, every replica must
 * reach the same state and produce the same results byte for byte: no clocks, randomness, hash
 * iteration order or other local inputs.
 */
public interface Service {
    /**
     * Executes an ordered batch of operations and returns one result per operation, in order.
     * A malformed operation must yield an error result, not an exception: a client chooses its
     * bytes, and an exception here would stop every correct replica alike.
     */
    List<byte[]> executeBatch(List<byte[]> operations);

    /** The whole current state as bytes, such that {@link #installSnapshot} restores it exactly. */
    byte[] snapshot();

    /**
     * Replaces the state with a snapshot taken by {@link #snapshot()} (possibly on another replica).
     *
     * @throws IllegalArgumentException naming what is wrong when the bytes are not a valid snapshot;
     *         the state is then unchanged
     */
    void installSnapshot(byte[] snapshot);

    /** A digest of the current state (equal states give equal digests on every replica). */
    byte[] stateDigest();
}
