package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.StateManifest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint state cut into chunks of at most chunkBytesMax: what a replica serves to recovering
 * peers, with the manifest whose root it signs. It keeps no copy of the state: only references to
 * the part arrays the service returned (or was given at install) while the service still holds them
 * ({@link #forgetPartsNotIn}), and a chunk is a slice of its part made when it is needed. A service
 * that returns an unchanged part's array again thus costs no copy and no hashing. A part the image
 * has no array for (null) is read from the chunk store and checked.
 */
final class StateImage {
    final StateManifest manifest;
    final byte[] root;
    /** Per part, its bytes (the service's own array), or null: its chunks are in the store. */
    private final byte[][] parts;
    /** Per chunk, its part and where it starts in that part. */
    private final int[] partOfChunk;
    private final int[] chunkOffset;
    private final int[] firstChunkOfPart;

    private StateImage(StateManifest manifest, byte[][] parts, int[] chunkOffset) {
        assert parts.length == manifest.partChunks().size() && chunkOffset.length == manifest.chunkCount();
        this.manifest = manifest;
        this.root = manifest.root();
        this.parts = parts;
        this.chunkOffset = chunkOffset;
        this.partOfChunk = new int[manifest.chunkCount()];
        this.firstChunkOfPart = new int[parts.length];
        int chunk = 0;
        for (int p = 0; p < parts.length; p++) {
            firstChunkOfPart[p] = chunk;
            for (int j = 0; j < manifest.partChunks().get(p); j++) {
                partOfChunk[chunk++] = p;
            }
        }
    }

    /**
     * Cuts parts into chunks and hashes them, reusing the digests of every part that is the same
     * array as one of {@code previous}'s (which may be null).
     */
    static StateImage of(long seq, List<byte[]> parts, int chunkBytesMax, StateImage previous) {
        Map<byte[], Integer> known = new IdentityHashMap<>();
        if (previous != null) {
            for (int p = 0; p < previous.parts.length; p++) {
                if (previous.parts[p] != null) {
                    known.put(previous.parts[p], p);
                }
            }
        }
        List<byte[]> digests = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        List<Integer> partChunks = new ArrayList<>(parts.size());
        for (byte[] part : parts) {
            Integer before = known.get(part);
            int first = digests.size();
            if (before != null) {
                int from = previous.firstChunkOfPart[before];
                for (int i = from; i < from + previous.manifest.partChunks().get(before); i++) {
                    digests.add(previous.manifest.chunkDigests().get(i));
                    offsets.add(previous.chunkOffset[i]);
                }
            } else {
                int at = 0;
                do {
                    int length = Math.min(chunkBytesMax, part.length - at);
                    digests.add(Digests.sha256(part, at, length));
                    offsets.add(at);
                    at += length;
                } while (at < part.length);
            }
            partChunks.add(digests.size() - first);
        }
        return new StateImage(new StateManifest(seq, digests, partChunks), parts.toArray(new byte[0][]),
                offsets.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * An image of a verified manifest whose parts (null where unknown) were checked against it; a
     * part's chunks are cut at chunkOffsets (per chunk, its start in its part).
     */
    static StateImage verified(StateManifest manifest, byte[][] parts, int[] chunkOffsets) {
        return new StateImage(manifest, parts.clone(), chunkOffsets.clone());
    }

    /**
     * Drops the parts that are not among {@code live} (compared by identity: the arrays the service
     * returns now): the service replaced them, so this image would be their only holder, a copy.
     * Their chunks are in the store (persisted when the image was taken or fetched) and are read
     * from there when a peer asks.
     */
    void forgetPartsNotIn(Set<byte[]> live) {
        for (int p = 0; p < parts.length; p++) {
            if (parts[p] != null && !live.contains(parts[p])) {
                parts[p] = null;
            }
        }
    }

    /** Chunk index from the part in memory, else from the store if intact there; null when neither has it. */
    byte[] chunk(int index, ChunkStore store) {
        byte[] inMemory = chunkInMemory(index);
        if (inMemory != null) {
            return inMemory;
        }
        byte[] stored = store.read(manifest.chunkDigests().get(index));
        return matches(manifest, index, stored) ? stored : null;
    }

    /** Chunk index as a slice of its part in memory (the part itself when it is one chunk), or null. */
    byte[] chunkInMemory(int index) {
        int p = partOfChunk[index];
        byte[] part = parts[p];
        if (part == null) {
            return null;
        }
        if (manifest.partChunks().get(p) == 1) {
            return part;
        }
        boolean last = index + 1 == chunkOffset.length || partOfChunk[index + 1] != p;
        int end = last ? part.length : chunkOffset[index + 1];
        return Arrays.copyOfRange(part, chunkOffset[index], end);
    }

    /** The chunks whose part is in memory, by digest to index (to reuse them in a transfer). */
    Map<ByteBuffer, Integer> chunksInMemory() {
        Map<ByteBuffer, Integer> byDigest = new HashMap<>();
        for (int i = 0; i < chunkOffset.length; i++) {
            if (parts[partOfChunk[i]] != null) {
                byDigest.putIfAbsent(ByteBuffer.wrap(manifest.chunkDigests().get(i)), i);
            }
        }
        return byDigest;
    }

    /** Bytes of the state (every part in memory: an image this replica took itself). */
    long bytes() {
        long bytes = 0;
        for (byte[] part : parts) {
            bytes += part.length;
        }
        return bytes;
    }

    /** True iff the bytes are the chunk the manifest lists at index (its SHA-256 matches). */
    static boolean matches(StateManifest manifest, int index, byte[] bytes) {
        return bytes != null && Arrays.equals(Digests.sha256(bytes), manifest.chunkDigests().get(index));
    }
}
