package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.StateManifest;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * Which chunks a {@link ChunkStore} must keep, from the core's persist entries: the one rule every
 * store applies (the data directory's, the simulator's, the unit tests'), so that what the core
 * may read or serve is never gone on one of them and present on another.
 *
 * <p>At a new stable checkpoint a store keeps the chunks of its state, of the older images the core
 * still serves to recovering peers ({@link Output.StableCheckpoint#alsoServed}: a transfer keeps
 * its target while checkpoints move on under load, and the parts the service has replaced since
 * are read from the store), and every chunk written in the last {@link #WRITTEN_INTERVALS_KEPT}
 * checkpoint intervals (the chunks of images taken but not yet stable, and of a transfer in
 * progress). Everything else may go.
 */
public final class ChunkRetention {
    /** Checkpoint intervals, the current one included, whose written chunks are kept. */
    static final int WRITTEN_INTERVALS_KEPT = 2;

    private final ArrayDeque<Set<ByteBuffer>> writtenPerInterval = new ArrayDeque<>();

    public ChunkRetention() {
        writtenPerInterval.addLast(new HashSet<>());
    }

    /** A chunk was written (or found intact and kept) under digest. */
    public void written(byte[] digest) {
        writtenPerInterval.getLast().add(ByteBuffer.wrap(digest));
    }

    /**
     * The digests to keep now that checkpoint is stable (and durable); starts the next interval.
     * The returned set is the caller's.
     */
    public Set<ByteBuffer> keepAt(Output.StableCheckpoint checkpoint) {
        Set<ByteBuffer> keep = new HashSet<>();
        writtenPerInterval.forEach(keep::addAll);
        addAll(keep, checkpoint.manifest());
        checkpoint.alsoServed().forEach(manifest -> addAll(keep, manifest));
        writtenPerInterval.addLast(new HashSet<>());
        while (writtenPerInterval.size() > WRITTEN_INTERVALS_KEPT) {
            writtenPerInterval.removeFirst();
        }
        return keep;
    }

    private static void addAll(Set<ByteBuffer> keep, StateManifest manifest) {
        manifest.chunkDigests().forEach(digest -> keep.add(ByteBuffer.wrap(digest)));
    }
}
