package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.Checkpoint;
import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.FetchChunks;
import io.rsmr.replica.protocol.message.FetchState;
import io.rsmr.replica.protocol.message.StateManifest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fetching side of a state transfer, part of the pure core: brings a replica to the state a
 * checkpoint certificate vouches for. First the manifest (its root must equal the certified
 * digest, so one manifest from anyone is as good as the certificate); then every chunk the local
 * store or an earlier transfer already holds intact (checked against the manifest, a bounded
 * number of bytes per tick); then the rest in parallel, a few chunks in flight per peer, from the
 * certificate's signers and every peer that sent the manifest (after crash-restarts the signers may
 * have lost a state that a replica which adopted the certificate later still holds). A chunk whose
 * sender vouches for a digest other than the certified one proves its sender faulty: the peer is
 * reported and never asked again, and its chunks go to others. A chunk whose bytes do not hash to the
 * certified digest its sender vouched for is asked for again (see {@link #onChunk}). A peer that stays silent only loses
 * its requests to another peer after a timeout.
 *
 * <p>Memory stays bounded whatever the state's size: a verified chunk goes to the chunk store (a
 * persist entry) as it arrives and only the fact that it is held stays here; the core installs the
 * state from the store part by part afterwards ({@link ImageInstall}). A chunk the store has lost by
 * then is simply fetched again ({@link #refetch}).
 */
final class StateTransfer {
    private static final long NEVER = Long.MIN_VALUE / 2;

    private final ProtocolConfig config;
    private final int me;
    private final ChunkStore store;
    private final Set<Integer> badPeers = new TreeSet<>();
    /**
     * Peers that sent the target's manifest: they hold its image, signers or not. After crash-restarts
     * the signers may all have lost it while a replica that adopted the certificate later still has
     * it (seen in the simulator: n = 5, k = 2, both other signers restarted empty).
     */
    private final Set<Integer> holders = new TreeSet<>();

    private CheckpointCertificate target;
    private StateManifest manifest;
    /** Per chunk of the manifest: held intact, in the store or in the stable image's memory. */
    private boolean[] held;
    private int verifiedUpTo;
    /** Chunks of the manifest not held yet (the transfer is complete at 0). */
    private int missing;
    /** No chunk below this index waits to be asked for. */
    private int unaskedFrom;
    private int[] askedPeer;
    private long[] askedTick;
    private final int[] inFlight;
    private long manifestAskedTick = NEVER;
    private long lastProgressTick = NEVER;
    private int rotation;
    /**
     * Digests of chunks this process checked in the store: fetched, verified and persisted, or read
     * from the store and hashed. No need to hash them again: since this process started only it has
     * written the store (the intruder who may have written it before is gone with the old epoch).
     */
    private Set<ByteBuffer> stored = new HashSet<>();
    /** The stable image's chunks in memory, by digest to index (reused without a read), or empty. */
    private Map<ByteBuffer, Integer> stableChunks = Map.of();

    private long lastTargetSeq;
    private int lastChunkCount;
    private int chunksLocal;
    private int chunksFetched;
    private long bytesFetched;

    /** What a chunk from a peer did. */
    enum ChunkResult { USED, UNEXPECTED, BAD, SPOILED }

    StateTransfer(ProtocolConfig config, int me, ChunkStore store) {
        this.config = config;
        this.me = me;
        this.store = store;
        this.inFlight = new int[config.n()];
    }

    CheckpointCertificate target() {
        return target;
    }

    boolean hasManifest() {
        return manifest != null;
    }

    Set<Integer> badPeers() {
        return Set.copyOf(badPeers);
    }

    /** Ticks since a chunk or the manifest last arrived. */
    long idleTicks(long now) {
        return now - lastProgressTick;
    }

    /**
     * Starts (or switches) to a newer target. Chunks already fetched stay reusable (they are in the
     * store), as do the stable image's: a state that moved on by a few parts costs only those parts.
     */
    void retarget(CheckpointCertificate cert, StateImage stable, long now) {
        assert target == null || cert.seq() > target.seq();
        stableChunks = stable == null ? Map.of() : stable.chunksInMemory();
        target = cert;
        lastTargetSeq = cert.seq();
        lastChunkCount = 0;
        manifest = null;
        held = null;
        chunksLocal = 0;
        chunksFetched = 0;
        Arrays.fill(inFlight, 0);
        manifestAskedTick = NEVER;
        holders.clear();
        lastProgressTick = now;
    }

    /** The transfer is over (installed, or overtaken by our own execution). */
    void clear() {
        target = null;
        manifest = null;
        holders.clear();
        held = null;
        stored = new HashSet<>();
        stableChunks = Map.of();
        Arrays.fill(inFlight, 0);
    }

    RecoveryProgress.Phase phase() {
        if (target == null) {
            return RecoveryProgress.Phase.LEARNING;
        }
        if (manifest == null) {
            return RecoveryProgress.Phase.MANIFEST;
        }
        return verifiedUpTo < held.length ? RecoveryProgress.Phase.VERIFYING : RecoveryProgress.Phase.TRANSFERRING;
    }

    /** Counts of the current (or last) target; bytes and bad peers over the whole recovery. */
    RecoveryProgress progress(RecoveryProgress.Phase phase) {
        return new RecoveryProgress(phase, lastTargetSeq, lastChunkCount, chunksLocal, chunksFetched, bytesFetched,
                badPeers);
    }

    /** One tick of work: ask for the manifest, check local chunks, (re)assign chunk requests. */
    void onTick(long now, Output out) {
        if (target == null) {
            return;
        }
        if (manifest == null) {
            askManifest(now, out);
            return;
        }
        verifyLocal();
        if (verifiedUpTo == held.length) {
            expire(now);
            assign(now, out);
        }
    }

    /** A manifest from a peer; true when it is the one the target certifies (and is now used). */
    boolean onManifest(int sender, StateManifest m, long now) {
        if (target == null || m.seq() != target.seq()) {
            return false;
        }
        if (!Arrays.equals(m.root(), target.stateDigest())) {
            badPeers.add(sender);
            return false;
        }
        holders.add(sender);
        if (manifest != null) {
            return true;
        }
        manifest = m;
        lastChunkCount = m.chunkCount();
        held = new boolean[m.chunkCount()];
        missing = m.chunkCount();
        askedPeer = new int[m.chunkCount()];
        Arrays.fill(askedPeer, -1);
        askedTick = new long[m.chunkCount()];
        verifiedUpTo = 0;
        unaskedFrom = 0;
        lastProgressTick = now;
        return true;
    }

    /** A chunk from sender whose bytes hash to {@code bytesDigest} (computed by this replica). */
    ChunkResult onChunk(int sender, ChunkData c, byte[] bytesDigest, long now, Output out) {
        if (manifest == null || c.seq() != target.seq() || c.index() >= held.length || held[c.index()]
                || askedPeer[c.index()] < 0) {
            return ChunkResult.UNEXPECTED;
        }
        int i = c.index();
        // the digest is what the sender vouched for (the transport authenticates it, not the bytes):
        // a wrong one is the sender's own lie, so it is avoided; bytes that do not hash to a right one
        // were spoiled by the sender or on the wire, which cannot be told apart, so they are treated
        // like a frame with a bad MAC: refused and asked for again, the sender not blamed (an attacker
        // on the wire must not be able to make us avoid correct peers for the rest of the recovery)
        byte[] certified = manifest.chunkDigests().get(i);
        if (!Arrays.equals(c.digest(), certified)) {
            badPeers.add(sender);
            releaseAll(sender);
            return ChunkResult.BAD;
        }
        if (!Arrays.equals(bytesDigest, certified)) {
            release(i);
            assign(now, out);
            return ChunkResult.SPOILED;
        }
        release(i);
        held[i] = true;
        stored.add(ByteBuffer.wrap(manifest.chunkDigests().get(i)));
        missing--;
        chunksFetched++;
        bytesFetched += c.bytes().length;
        lastProgressTick = now;
        out.persist(new Output.StateChunk(manifest.chunkDigests().get(i), c.bytes()));
        assign(now, out);
        return ChunkResult.USED;
    }

    /** Digests of chunks this process has checked in the store (the install need not hash them again). */
    Set<ByteBuffer> checkedInStore() {
        return Collections.unmodifiableSet(stored);
    }

    /** The certified manifest once every chunk is held (in the store or the stable image), else null. */
    StateManifest complete() {
        if (manifest == null || verifiedUpTo < held.length || missing > 0) {
            return null;
        }
        return manifest;
    }

    /**
     * The store lost (or spoiled) a chunk since it was held — e.g. a stable checkpoint of our own
     * made the store drop the chunks it did not list. Checks every chunk again from the store (a
     * bounded number of bytes per tick, as at the start) and fetches what is gone: one pass, however
     * many were lost.
     */
    void recheck() {
        assert manifest != null && missing == 0 : "recheck of an incomplete transfer";
        stored = new HashSet<>();
        held = new boolean[manifest.chunkCount()];
        missing = manifest.chunkCount();
        verifiedUpTo = 0;
        unaskedFrom = 0;
        chunksLocal = 0;
    }

    /**
     * The first ask goes to every peer, signer or not (the first answer whose root matches is used,
     * so a slow or silent peer costs nothing, and every peer that answers is a {@link #holders holder});
     * a retry goes to one peer in turn.
     */
    private void askManifest(long now, Output out) {
        if (now - manifestAskedTick < 2L * config.statusIntervalTicks()) {
            return;
        }
        List<Integer> peers = others();
        if (peers.isEmpty()) {
            return;
        }
        FetchState ask = new FetchState(target.seq());
        if (manifestAskedTick == NEVER) {
            peers.forEach(peer -> out.send(peer, ask));
        } else {
            out.send(peers.get(Math.floorMod(rotation++, peers.size())), ask);
        }
        manifestAskedTick = now;
    }

    /**
     * Takes what is already here and intact, at most verifyBytesPerTickMax bytes hashed per tick. A
     * chunk this transfer stored or the stable image holds was checked when it was taken, so only the
     * store's others are read and hashed, and none is kept: the install reads them again (without
     * hashing them again, see {@link #checkedInStore}).
     */
    private void verifyLocal() {
        long budget = config.verifyBytesPerTickMax();
        while (verifiedUpTo < held.length && budget > 0) {
            int i = verifiedUpTo++;
            ByteBuffer digest = ByteBuffer.wrap(manifest.chunkDigests().get(i));
            boolean intact = stored.contains(digest) || stableChunks.containsKey(digest);
            if (!intact) {
                byte[] candidate = store.read(manifest.chunkDigests().get(i));
                budget -= candidate == null ? 0 : candidate.length;
                intact = StateImage.matches(manifest, i, candidate);
                if (intact) {
                    stored.add(digest);
                }
            }
            if (intact) {
                held[i] = true;
                missing--;
                chunksLocal++;
            }
        }
    }

    private void expire(long now) {
        long timeout = 4L * config.statusIntervalTicks();
        for (int i = 0; i < held.length; i++) {
            if (!held[i] && askedPeer[i] >= 0 && now - askedTick[i] > timeout) {
                release(i);
            }
        }
    }

    private void assign(long now, Output out) {
        List<Integer> peers = peers();
        Map<Integer, List<Integer>> batches = new HashMap<>();
        for (; unaskedFrom < held.length; unaskedFrom++) {
            int i = unaskedFrom;
            if (held[i] || askedPeer[i] >= 0) {
                continue;
            }
            int peer = peerWithRoom(peers);
            if (peer < 0) {
                break;
            }
            askedPeer[i] = peer;
            askedTick[i] = now;
            inFlight[peer]++;
            batches.computeIfAbsent(peer, p -> new ArrayList<>()).add(i);
        }
        batches.forEach((peer, indexes) -> out.send(peer, new FetchChunks(target.seq(), indexes)));
    }

    /** The next peer in turn with fewer than transferChunksInFlightMax chunks asked of it, or -1. */
    private int peerWithRoom(List<Integer> peers) {
        for (int tried = 0; tried < peers.size(); tried++) {
            int candidate = peers.get(Math.floorMod(rotation++, peers.size()));
            if (inFlight[candidate] < config.transferChunksInFlightMax()) {
                return candidate;
            }
        }
        return -1;
    }

    /** Whom chunks are asked of: the certificate's signers and the holders, but us and the peers caught serving bad data. */
    private List<Integer> peers() {
        Set<Integer> peers = new TreeSet<>(holders);
        for (Checkpoint c : target.proofs()) {
            peers.add(c.replicaId());
        }
        peers.remove(me);
        peers.removeAll(badPeers);
        return new ArrayList<>(peers);
    }

    /** Every replica but us and the peers caught serving bad data: the manifest is asked of all. */
    private List<Integer> others() {
        List<Integer> others = new ArrayList<>();
        for (int peer = 0; peer < config.n(); peer++) {
            if (peer != me && !badPeers.contains(peer)) {
                others.add(peer);
            }
        }
        return others;
    }

    private void release(int i) {
        if (askedPeer[i] >= 0) {
            inFlight[askedPeer[i]]--;
            askedPeer[i] = -1;
            unaskedFrom = Math.min(unaskedFrom, i);
        }
    }

    private void releaseAll(int peer) {
        for (int i = 0; i < held.length; i++) {
            if (askedPeer[i] == peer) {
                release(i);
            }
        }
    }
}
