package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.StateManifest;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A replica's durable chunks as the shell keeps them, in memory for unit tests: it stores a copy of
 * each persisted chunk and returns a copy on each read (like a disk, it shares no array with the
 * core), and counts the bytes the core reads, per step, so tests can bound them.
 */
final class MemoryChunkStore implements ChunkStore {
    final Map<ByteBuffer, byte[]> chunks = new HashMap<>();
    /** Deletes what a real store would at each stable checkpoint. */
    private final ChunkRetention retention = new ChunkRetention();
    StateManifest stable;
    /** Bytes returned by reads since {@link #newStep}; and the most in any one step. */
    long bytesReadThisStep;
    long bytesReadPerStepMax;
    /** Reads that return a chunk before the store loses the next one read (negative: never). */
    int loseAfterReads = -1;
    /** The digest of the chunk lost that way, once lost. */
    ByteBuffer lost;

    @Override
    public byte[] read(byte[] digest) {
        ByteBuffer key = ByteBuffer.wrap(digest);
        byte[] chunk = chunks.get(key);
        if (chunk == null) {
            return null;
        }
        if (loseAfterReads == 0 && lost == null) {
            chunks.remove(key);
            lost = key;
            return null;
        }
        loseAfterReads--;
        bytesReadThisStep += chunk.length;
        bytesReadPerStepMax = Math.max(bytesReadPerStepMax, bytesReadThisStep);
        return chunk.clone();
    }

    void newStep() {
        bytesReadThisStep = 0;
    }

    /** The disk as it is now: the replica's later writes do not reach the copy. */
    MemoryChunkStore copy() {
        MemoryChunkStore copy = new MemoryChunkStore();
        copy.chunks.putAll(chunks);
        copy.stable = stable;
        return copy;
    }

    void persist(List<Output.Persist> entries) {
        for (Output.Persist p : entries) {
            if (p instanceof Output.StateChunk c) {
                chunks.put(ByteBuffer.wrap(c.digest().clone()), c.bytes().clone());
                retention.written(c.digest());
            } else if (p instanceof Output.StableCheckpoint s) {
                stable = s.manifest();
                chunks.keySet().retainAll(retention.keepAt(s));
            }
        }
    }
}
