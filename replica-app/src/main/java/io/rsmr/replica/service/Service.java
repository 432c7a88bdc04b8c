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

    /**
     * The whole current state as an ordered list of parts (e.g. key ranges or hash buckets), such
     * that {@link #beginInstall} restores it exactly. The core hashes each part into the
     * checkpoint's chunks, so a replica whose state differs in a few parts transfers only those.
     * Return the same array instance for a part that did not change since the previous call: the
     * core then reuses its digests instead of hashing the part again, and keeps no copy of it. Never
     * change an array once returned (a changed part is a new array): checkpoint images keep them and
     * serve their bytes to recovering peers as they are, while later checkpoints are taken.
     */
    default List<byte[]> snapshotParts() {
        return List.of(snapshot());
    }

    /**
     * Starts replacing the state with {@code partCount} parts taken by {@link #snapshotParts()},
     * handed over one at a time (the core reads each from its chunk store just before), so that a
     * state larger than the heap can be installed by a service that keeps it on disk. Nothing
     * changes until {@link PartInstall#commit}; {@link PartInstall#abort} leaves the state as it was.
     */
    default PartInstall beginInstall(int partCount) {
        return new PartInstall() {
            private byte[] only;

            @Override
            public void add(byte[] part) {
                if (only != null || partCount != 1) {
                    throw new IllegalArgumentException("expected a snapshot of 1 part, got " + partCount);
                }
                only = part;
            }

            @Override
            public void commit() {
                if (only == null) {
                    throw new IllegalArgumentException("the snapshot's only part never came");
                }
                installSnapshot(only);
            }

            @Override
            public void abort() {
                only = null;
            }
        };
    }

    /**
     * A state being installed part by part. The calls come from the service's one thread, between
     * (never during) its other calls; batches may even execute on the old state in between.
     */
    interface PartInstall {
        /**
         * The next part, in order.
         *
         * @throws IllegalArgumentException naming what is wrong with the part; the caller then aborts
         */
        void add(byte[] part);

        /**
         * Makes the parts added the state.
         *
         * @throws IllegalArgumentException when they are not a whole, valid state; the state is then unchanged
         */
        void commit();

        /** Drops what was added; the state stays as it was. */
        void abort();
    }

    /**
     * Whether an operation only reads: then the replica may answer it on the read fast path, from
     * its state, without ordering it. A service that says yes must make {@link #executeReadOnly}
     * return exactly what {@link #executeBatch} would return for it on the same state, and change
     * nothing. Most services start with no such operation (the default).
     */
    default boolean isReadOnly(byte[] operation) {
        return false;
    }

    /**
     * Runs an operation for which {@link #isReadOnly} is true against the current state, changing
     * nothing. Deterministic like {@link #executeBatch}.
     */
    default byte[] executeReadOnly(byte[] operation) {
        throw new UnsupportedOperationException("this service has no read-only operations");
    }

    /** A digest of the current state (equal states give equal digests on every replica). */
    byte[] stateDigest();
}
