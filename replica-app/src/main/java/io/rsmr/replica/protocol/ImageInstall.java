package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.StateManifest;
import io.rsmr.replica.service.Service;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Installs a certified state from the chunk store part by part, part of the pure core: reads the
 * chunks of one part (checking each against the manifest: the store is untrusted, except for the
 * chunks this process has already checked there), joins them, hands
 * the part to the service's {@link Service.PartInstall}. The core thus makes no copy of the state,
 * whatever its size: beyond the part being read it keeps only references to the arrays the service
 * got (the installed image serves peers and reuses digests from them; the reference key-value
 * service keeps those very arrays as its part encodings). Each
 * {@link #step} reads at most about a byte budget (whole parts), so a large install spreads over
 * ticks instead of stalling one turn.
 *
 * <p>A chunk the store no longer has, or has wrong, stops the install: the service part install is
 * aborted (the state stays as it was) and {@link #failedChunk} names the chunk to fetch again.
 */
final class ImageInstall {
    /** What a step did. */
    enum Result { MORE, DONE, MISSING_CHUNK, BAD_STATE }

    private final StateManifest manifest;
    private final ChunkStore store;
    /**
     * Images whose chunks in memory are used instead of store reads (our latest and our stable one),
     * by digest: a part that is the service's own current array is handed back as that very array,
     * so a service can keep it without a second copy.
     */
    private final Map<ByteBuffer, StateImage> localImages = new HashMap<>();
    private final Map<ByteBuffer, Integer> localChunks = new HashMap<>();
    /** Digests of chunks this process already checked in the store: read without hashing again. */
    private final Set<ByteBuffer> checkedInStore;
    private final ProtocolConfig config;
    private final Service service;
    private Service.PartInstall install;
    private CheckpointState.Meta meta;
    /** The parts the service got (the installed image serves from them) and where their chunks start. */
    private final byte[][] parts;
    private final int[] chunkOffsets;
    private int nextPart;
    private int nextChunk;
    private int failedChunk = -1;
    private String problem;

    ImageInstall(StateManifest manifest, ChunkStore store, Set<ByteBuffer> checkedInStore, List<StateImage> locals,
                 ProtocolConfig config, Service service) {
        this.manifest = manifest;
        this.store = store;
        this.checkedInStore = checkedInStore;
        for (StateImage local : locals) {
            local.chunksInMemory().forEach((digest, index) -> {
                if (localChunks.putIfAbsent(digest, index) == null) {
                    localImages.put(digest, local);
                }
            });
        }
        this.config = config;
        this.service = service;
        this.parts = new byte[manifest.partChunks().size()][];
        this.chunkOffsets = new int[manifest.chunkCount()];
    }

    /** Installs parts until about {@code budgetBytes} were read; the service state changes only at DONE. */
    Result step(long budgetBytes) {
        assert failedChunk < 0 && problem == null : "step after the install ended";
        long budget = budgetBytes;
        try {
            while (nextPart < manifest.partChunks().size() && budget > 0) {
                byte[] part = readPart(manifest.partChunks().get(nextPart));
                if (part == null) {
                    abort();
                    return Result.MISSING_CHUNK;
                }
                budget -= part.length;
                take(part);
                parts[nextPart++] = part;
            }
            if (nextPart < manifest.partChunks().size()) {
                return Result.MORE;
            }
            if (install == null) {
                install = service.beginInstall(0);
            }
            install.commit();
            install = null;
            return Result.DONE;
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
            abort();
            return Result.BAD_STATE;
        }
    }

    /** The metadata part, once read (non-null after DONE). */
    CheckpointState.Meta meta() {
        return meta;
    }

    /** After DONE: the image as installed, sharing the part arrays the service got. */
    StateImage image() {
        return StateImage.verified(manifest, parts, chunkOffsets);
    }

    /** After MISSING_CHUNK: the index of the chunk the store lacks or holds wrong. */
    int failedChunk() {
        return failedChunk;
    }

    /** After BAD_STATE: what did not decode (q correct signers make this impossible). */
    String problem() {
        return problem;
    }

    /** Leaves the service's state as it was. */
    void abort() {
        if (install != null) {
            install.abort();
            install = null;
        }
    }

    /** The next count chunks joined, each checked; null (failedChunk set) when one is missing or wrong. */
    private byte[] readPart(int count) {
        byte[][] pieces = new byte[count][];
        int bytes = 0;
        for (int j = 0; j < count; j++) {
            int index = nextChunk + j;
            byte[] digest = manifest.chunkDigests().get(index);
            ByteBuffer key = ByteBuffer.wrap(digest);
            Integer localIndex = localChunks.get(key);
            byte[] chunk = localIndex == null ? null : localImages.get(key).chunkInMemory(localIndex);
            if (chunk == null) {
                chunk = store.read(digest);
                if (chunk == null || !checkedInStore.contains(key) && !StateImage.matches(manifest, index, chunk)) {
                    failedChunk = index;
                    return null;
                }
            }
            pieces[j] = chunk;
            chunkOffsets[index] = bytes;
            bytes += chunk.length;
        }
        nextChunk += count;
        if (count == 1) {
            return pieces[0];
        }
        byte[] part = new byte[bytes];
        int at = 0;
        for (byte[] piece : pieces) {
            System.arraycopy(piece, 0, part, at, piece.length);
            at += piece.length;
        }
        return part;
    }

    /** Part 0 is the protocol's metadata; the others go to the service. */
    private void take(byte[] part) {
        if (nextPart == 0) {
            meta = CheckpointState.decodeMeta(part, config.clientsMax(), config.replyBytesMax());
            if (meta.seq() != manifest.seq()) {
                throw new IllegalArgumentException("checkpoint metadata says seq " + meta.seq() + ", the manifest "
                        + manifest.seq());
            }
            return;
        }
        if (install == null) {
            install = service.beginInstall(manifest.partChunks().size() - 1);
        }
        install.add(part);
    }
}
