package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.StateManifest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint state cut into chunks of at most chunkBytesMax: what a replica serves to recovering
 * peers, with the manifest whose root it signs. A part that fits one chunk is that chunk, the very
 * same array: a service that returns an unchanged part's array again costs no copy and no hashing.
 */
final class StateImage {
    final StateManifest manifest;
    final List<byte[]> chunks;
    final byte[] root;

    private StateImage(StateManifest manifest, List<byte[]> chunks) {
        assert manifest.chunkCount() == chunks.size();
        this.manifest = manifest;
        this.chunks = List.copyOf(chunks);
        this.root = manifest.root();
    }

    /**
     * Cuts parts into chunks and hashes them, reusing the digest of every chunk that is the same
     * array as one of {@code previous} (which may be null).
     */
    static StateImage of(long seq, List<byte[]> parts, int chunkBytesMax, StateImage previous) {
        Map<byte[], byte[]> known = new IdentityHashMap<>();
        if (previous != null) {
            for (int i = 0; i < previous.chunks.size(); i++) {
                known.put(previous.chunks.get(i), previous.manifest.chunkDigests().get(i));
            }
        }
        List<byte[]> chunks = new ArrayList<>();
        List<byte[]> digests = new ArrayList<>();
        List<Integer> partChunks = new ArrayList<>(parts.size());
        for (byte[] part : parts) {
            List<byte[]> cut = cut(part, chunkBytesMax);
            for (byte[] chunk : cut) {
                byte[] digest = known.get(chunk);
                digests.add(digest != null ? digest : Digests.sha256(chunk));
                chunks.add(chunk);
            }
            partChunks.add(cut.size());
        }
        return new StateImage(new StateManifest(seq, digests, partChunks), chunks);
    }

    /** An image from chunks already checked against a manifest. */
    static StateImage verified(StateManifest manifest, List<byte[]> chunks) {
        return new StateImage(manifest, chunks);
    }

    private static List<byte[]> cut(byte[] part, int chunkBytesMax) {
        if (part.length <= chunkBytesMax) {
            return List.of(part);
        }
        List<byte[]> pieces = new ArrayList<>(part.length / chunkBytesMax + 1);
        for (int from = 0; from < part.length; from += chunkBytesMax) {
            pieces.add(Arrays.copyOfRange(part, from, Math.min(part.length, from + chunkBytesMax)));
        }
        return pieces;
    }

    /** The parts again, joined from their chunks. */
    List<byte[]> parts() {
        List<byte[]> parts = new ArrayList<>(manifest.partChunks().size());
        int next = 0;
        for (int count : manifest.partChunks()) {
            if (count == 1) {
                parts.add(chunks.get(next));
            } else {
                int bytes = 0;
                for (int i = next; i < next + count; i++) {
                    bytes += chunks.get(i).length;
                }
                byte[] part = new byte[bytes];
                int at = 0;
                for (int i = next; i < next + count; i++) {
                    System.arraycopy(chunks.get(i), 0, part, at, chunks.get(i).length);
                    at += chunks.get(i).length;
                }
                parts.add(part);
            }
            next += count;
        }
        return parts;
    }

    long bytes() {
        long bytes = 0;
        for (byte[] chunk : chunks) {
            bytes += chunk.length;
        }
        return bytes;
    }

    /** True iff the bytes are the chunk the manifest lists at index (its SHA-256 matches). */
    static boolean matches(StateManifest manifest, int index, byte[] bytes) {
        return bytes != null && Arrays.equals(Digests.sha256(bytes), manifest.chunkDigests().get(index));
    }
}
