package io.rsmr.replica.protocol;

import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvOperation;
import io.rsmr.replica.kv.KvService;
import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.protocol.message.StateManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import static io.rsmr.replica.testing.Reachability.reachable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * State transfer between real cores over the real key-value service (16 snapshot parts), with a
 * chunk store per replica that holds what the core asked to persist: a rejuvenated replica reuses
 * the local chunks that match the certified manifest and fetches only the rest, rejects chunks
 * that do not match and avoids their sender, and a replica restarted on its own trusted log
 * resumes — or, when its stored chunks are wrong, fetches the state and then keeps its logged votes.
 */
class StateTransferTest {
    private static final ProtocolConfig CONFIG = smallReads(ProtocolConfig.defaults(4, 0, 1).withWindow(4, 8, 2)
            .withTimeouts(400, 200, 5));
    private static final KvLimits LIMITS = new KvLimits(64, 4096, 10, 4096, 10_000, 16);
    private static final int RECOVERING = 3;

    private record Envelope(int from, int to, Message message) {
    }

    private ProtocolConfig config;
    private final ReplicaCore[] replicas = new ReplicaCore[4];
    private final KvService[] services = new KvService[4];
    private final MemoryChunkStore[] stores = new MemoryChunkStore[4];
    private final ArrayDeque<Envelope> queue = new ArrayDeque<>();
    /** The recovering replica's log entries and prepared records (not its chunks: a test counts what stays reachable). */
    private final List<Output.Persist> loggedByRecovering = new ArrayList<>();
    /** Chunks the recovering replica persisted, and of those, how many did not match their digest. */
    private int chunksPersistedByRecovering;
    private int unverifiedChunksPersisted;
    /** What the network does to each message: delivers, alters, or (null) loses it. */
    private UnaryOperator<Envelope> network = e -> e;
    private long clientSeq;

    StateTransferTest() {
        start(CONFIG);
    }

    /** A fresh cluster whose replicas all run with config. */
    private void start(ProtocolConfig replicaConfig) {
        config = replicaConfig;
        for (int i = 0; i < 4; i++) {
            stores[i] = new MemoryChunkStore();
            services[i] = new KvService(LIMITS);
            replicas[i] = new ReplicaCore(config, i, services[i], new TestSignatures(i), stores[i], Start.FRESH);
        }
    }

    @Test
    void aRejuvenatedReplicaKeepsTheChunksThatMatchAndFetchesOnlyTheRest() {
        write(0, 200);
        MemoryChunkStore old = stores[RECOVERING].copy();
        int stableChunks = old.stable.chunkCount();
        write(200, 4);
        rejuvenate(old);
        recover();
        RecoveryProgress progress = replicas[RECOVERING].recovery();
        assertTrue(progress.chunksLocal() > stableChunks / 2, "most chunks were still right on disk: " + progress);
        assertTrue(progress.chunksFetched() > 0 && progress.chunksFetched() < stableChunks / 2,
                "only the chunks written since were fetched: " + progress);
        assertSameStateAsThePeers();
    }

    /** Chunks whose bytes the shell hashed before the core's step are used as they are: the whole state arrives. */
    @Test
    void chunksHashedByTheShellBringTheCertifiedState() {
        hashedByTheShell = true;
        write(0, 100);
        rejuvenate(new MemoryChunkStore());
        recover();
        RecoveryProgress progress = replicas[RECOVERING].recovery();
        assertTrue(progress.chunksFetched() > 0 && progress.badPeers().isEmpty(), progress.toString());
        assertSameStateAsThePeers();
    }

    @Test
    void aRecoveringReplicaAsksForTheCertificateAtOnceNotAtTheNextStatusRound() {
        write(0, 50);
        rejuvenate(new MemoryChunkStore());
        tick(CONFIG.statusIntervalTicks() - 1);
        assertNotEquals(RecoveryProgress.Phase.LEARNING, replicas[RECOVERING].recovery().phase(),
                "the certificate came before the first status round: " + replicas[RECOVERING].recovery());
        recover();
        assertSameStateAsThePeers();
    }

    /**
     * Bytes that do not hash to the certified digest their sender vouched for — spoiled by the sender
     * or on the wire (the transport does not MAC them), which the receiver cannot tell apart: every
     * such chunk is refused and fetched again, and the sender is not blamed, so that an attacker on
     * the wire cannot make a replica avoid correct peers. Hashed by the core, or (as the replica's
     * shell does, off its event loop) before the core's step.
     */
    @ParameterizedTest(name = "hashed by the shell: {0}")
    @ValueSource(booleans = {false, true})
    void spoiledChunksAreRefusedAndFetchedAgainWithoutBlamingTheirSender(boolean hashedByTheShell) {
        this.hashedByTheShell = hashedByTheShell;
        write(0, 100);
        network = e -> e.from() == 1 && e.to() == RECOVERING && e.message() instanceof ChunkData c
                ? new Envelope(1, RECOVERING, new ChunkData(c.seq(), c.index(), c.digest(), flipped(c.bytes()))) : e;
        rejuvenate(new MemoryChunkStore());
        recover();
        RecoveryProgress progress = replicas[RECOVERING].recovery();
        assertEquals(Set.of(), progress.badPeers(), "no peer is blamed for bytes spoiled on the way: " + progress);
        assertTrue(replicas[RECOVERING].dropCount(DropReason.CHUNK_SPOILED) > 0);
        assertEquals(0, replicas[RECOVERING].dropCount(DropReason.BAD_STATE));
        assertEquals(0, unverifiedChunksPersisted, "only verified chunks reach the disk");
        assertSameStateAsThePeers();
    }

    /** Bytes that match the digest their sender vouched for, but that digest is not the certified one. */
    @ParameterizedTest(name = "hashed by the shell: {0}")
    @ValueSource(booleans = {false, true})
    void chunksWhoseDigestIsNotTheCertifiedOneAreRejectedAndTheirSenderAvoided(boolean hashedByTheShell) {
        this.hashedByTheShell = hashedByTheShell;
        chunksFromReplicaOneAreRejectedAndItIsAvoided(c -> {
            byte[] other = flipped(c.bytes());
            return new ChunkData(c.seq(), c.index(), Digests.sha256(other), other);
        });
    }

    private void chunksFromReplicaOneAreRejectedAndItIsAvoided(UnaryOperator<ChunkData> lie) {
        write(0, 100);
        network = e -> e.from() == 1 && e.to() == RECOVERING && e.message() instanceof ChunkData c
                ? new Envelope(1, RECOVERING, lie.apply(c)) : e;
        rejuvenate(new MemoryChunkStore());
        recover();
        RecoveryProgress progress = replicas[RECOVERING].recovery();
        assertEquals(Set.of(1), progress.badPeers(), "replica 1 served chunks that do not match: " + progress);
        assertTrue(replicas[RECOVERING].dropCount(DropReason.BAD_STATE) > 0);
        assertTrue(chunksPersistedByRecovering > 0);
        assertEquals(0, unverifiedChunksPersisted, "only verified chunks reach the disk");
        assertSameStateAsThePeers();
    }

    @Test
    void aReplicaRestartedOnItsOwnLogResumesWithoutATransfer() {
        write(0, 60);
        ReplicaCore before = replicas[RECOVERING];
        StateManifest manifest = stores[RECOVERING].stable;
        Start resume = new Start.Resume(before.stableCertificate(), manifest, before.view(), false, List.of(), List.of());
        services[RECOVERING] = new KvService(LIMITS);
        replicas[RECOVERING] = new ReplicaCore(config, RECOVERING, services[RECOVERING], new TestSignatures(RECOVERING),
                stores[RECOVERING], resume);
        assertFalse(replicas[RECOVERING].recovering(), "a trusted log lets it vote at once");
        assertEquals(before.stableCertificate().seq(), replicas[RECOVERING].lastExecutedSeq());
        write(60, 10);
        assertSameStateAsThePeers();
        assertEquals(0, replicas[RECOVERING].recovery().chunksFetched());
    }

    @Test
    void aResumeWhoseStoredChunksAreDamagedFetchesTheStateAndVotesWithoutWaitingForCheckpoints() {
        write(0, 60);
        long executedByPeers = replicas[0].lastExecutedSeq();
        restartOnLogWithDamagedChunks(replicas[RECOVERING].view(), false);
        assertTrue(replicas[RECOVERING].recovering(), "wrong chunks on disk: no vote before the state is back");
        recover();
        assertTrue(replicas[RECOVERING].recovery().chunksFetched() > 0, "the damaged chunks were fetched");
        // an amnesic replica would wait for a stable checkpoint at executedByPeers + the window
        assertTrue(replicas[RECOVERING].stableCertificate().seq() < executedByPeers + CONFIG.logWindowSeqs(),
                "it voted again once its state was back: stable " + replicas[RECOVERING].stableCertificate().seq()
                        + ", peers had executed " + executedByPeers);
        write(60, 10);
        assertSameStateAsThePeers();
    }

    /**
     * Bounded memory, shown without a clock: every chunk array the recovering replica received is
     * unreachable once the transfer is over (the store got a copy, the install read copies back), so
     * the core kept none of them; and the install read the state from the store one part at a time,
     * at most the per-tick budget plus one part in any step, over several ticks.
     */
    @Test
    void aTransferKeepsNoChunkInMemoryAndTheInstallReadsAFewPartsPerStep() {
        write(0, 150);
        List<WeakReference<byte[]>> received = new ArrayList<>();
        network = e -> {
            if (e.to() == RECOVERING && e.message() instanceof ChunkData c) {
                byte[] copy = c.bytes().clone();
                received.add(new WeakReference<>(copy));
                return new Envelope(e.from(), e.to(), new ChunkData(c.seq(), c.index(), c.digest(), copy));
            }
            return e;
        };
        rejuvenate(new MemoryChunkStore());
        long stateBytes = stores[0].chunks.values().stream().mapToLong(c -> c.length).sum();
        recover();
        network = e -> e;
        tick(1);
        assertTrue(received.size() > 10, "chunks came from peers: " + received.size());
        assertEquals(0, reachable(received), "the core keeps no received chunk once it is in the store");

        long partMax = stores[0].chunks.values().stream().mapToLong(c -> c.length).max().orElseThrow();
        MemoryChunkStore disk = stores[RECOVERING];
        assertTrue(disk.bytesReadPerStepMax <= CONFIG.verifyBytesPerTickMax() + partMax,
                "at most the budget and one part read in a step: " + disk.bytesReadPerStepMax);
        assertTrue(stateBytes > 3L * (CONFIG.verifyBytesPerTickMax() + partMax),
                "the state spans several steps' reads: " + stateBytes);
        assertSameStateAsThePeers();
    }

    /**
     * The store loses a chunk in the middle of the install (say an intruder, or a stable checkpoint
     * of our own, removed it): the service's state is untouched at that moment, the chunk is fetched
     * again, and the replica recovers the certified state.
     */
    @Test
    void aChunkStoreReadFailingMidInstallLeavesNothingHalfDoneAndTheChunkIsFetchedAgain() {
        write(0, 150);
        MemoryChunkStore disk = new MemoryChunkStore();
        disk.loseAfterReads = 4;
        rejuvenate(disk);
        byte[] emptyState = new KvService(LIMITS).stateDigest();
        for (int t = 0; t < 2_000 && disk.lost == null; t++) {
            tick(1);
        }
        assertNotNull(disk.lost, "the store lost a chunk during the install");
        assertArrayEquals(emptyState, services[RECOVERING].stateDigest(), "a failed install changes nothing");
        assertEquals(0, replicas[RECOVERING].lastExecutedSeq());
        assertTrue(replicas[RECOVERING].recovering());
        recover();
        assertTrue(disk.chunks.containsKey(disk.lost), "the lost chunk was fetched again");
        assertSameStateAsThePeers();
    }

    /**
     * A transfer slow enough (a link to the recovering replica that passes one chunk every few
     * ticks) that the peers take many stable checkpoints meanwhile, one every few ticks, under
     * writes that replace every part of the target state: the peers keep serving the target from
     * their stores (the chunks of an image being fetched stay, and it outlives the newer images
     * nobody fetched), so the transfer ends on its target instead of stalling and moving on.
     */
    @Test
    void aLongTransferUnderWritesEndsOnItsTargetWhosePartsThePeersKeepServingFromTheirStores() {
        ProtocolConfig.Builder oneChunkAtATime = CONFIG.toBuilder();
        oneChunkAtATime.transferChunksInFlightMax = 1;
        start(oneChunkAtATime.build());
        write(0, 100);
        ArrayDeque<Envelope> slowLink = new ArrayDeque<>();
        network = e -> {
            if (e.to() != RECOVERING || !(e.message() instanceof ChunkData)) {
                return e;
            }
            slowLink.add(e);
            return null;
        };
        rejuvenate(new MemoryChunkStore());
        long firstTarget = 0;
        List<String> transitions = new ArrayList<>();
        long stableBefore = replicas[0].stableCertificate().seq();
        for (int round = 0; round < 1_000 && replicas[RECOVERING].recovering(); round++) {
            for (int key = 0; key < config.checkpointIntervalSeqs(); key++) {
                submit((round * config.checkpointIntervalSeqs() + key) % 100);
            }
            tick(4);
            if (!slowLink.isEmpty()) {
                queue.add(slowLink.poll());
                deliverAll();
            }
            RecoveryProgress progress = replicas[RECOVERING].recovery();
            if (firstTarget == 0 && progress.phase() == RecoveryProgress.Phase.TRANSFERRING) {
                firstTarget = progress.targetSeq();
            }
            String now = progress.phase() + "@" + progress.targetSeq();
            if (transitions.isEmpty() || !transitions.get(transitions.size() - 1).equals(now)) {
                transitions.add(now);
            }
        }
        network = e -> e;
        recover();
        long checkpointsDuring = (replicas[0].stableCertificate().seq() - stableBefore)
                / config.checkpointIntervalSeqs();
        assertTrue(checkpointsDuring > 5, "the peers took several checkpoints during the transfer: " + checkpointsDuring);
        for (int peer = 0; peer < RECOVERING; peer++) {
            assertEquals(0, replicas[peer].dropCount(DropReason.CHUNK_UNAVAILABLE),
                    "replica " + peer + " could serve every chunk asked for");
        }
        assertTrue(firstTarget > 0, "a transfer ran: " + transitions);
        int end = transitions.indexOf(RecoveryProgress.Phase.TRANSFERRING + "@" + firstTarget) + 1;
        assertTrue(transitions.get(end).startsWith(RecoveryProgress.Phase.REPLAYING.name()),
                "the transfer to " + firstTarget + " was installed, not abandoned: " + transitions);
        assertSameStateAsThePeers();
    }

    @Test
    void aResumeWithDamagedChunksKeepsTheViewChangeItsLogPromised() {
        write(0, 60);
        long promised = replicas[RECOVERING].view() + 1;
        restartOnLogWithDamagedChunks(promised, true);
        recover();
        assertEquals(promised, replicas[RECOVERING].view(), "its logged view change is not forgotten");
        assertTrue(replicas[RECOVERING].inViewChange(), "it sent a view change before the crash: no vote in the old view");
    }

    @Test
    void aResumeStaysAbstainingUntilItsStableCheckpointReachesTheLogs() {
        write(0, 60);
        Start.Resume log = restartOnLogWithDamagedChunks(replicas[RECOVERING].view(), false);
        for (int t = 0; t < 2_000 && replicas[RECOVERING].recovering(); t++) {
            assertTrue(replicas[RECOVERING].stableCertificate().seq() < log.stable().seq(),
                    "abstains only below the log's stable checkpoint");
            tick(1);
        }
        assertFalse(replicas[RECOVERING].recovering(), "still recovering: " + replicas[RECOVERING].recovery());
    }

    // ------------------------------------------------------------------ the harness

    /** What the replica's log would give at a restart: its stable checkpoint and its votes above it. */
    private Start.Resume loggedResume(ReplicaCore replica, long view, boolean inViewChange) {
        long stable = replica.stableCertificate().seq();
        List<Output.LogEntry> accepted = new ArrayList<>();
        List<Output.Prepared> prepared = new ArrayList<>();
        for (Output.Persist p : loggedByRecovering) {
            if (p instanceof Output.LogEntry e && e.seq() > stable) {
                accepted.add(e);
            } else if (p instanceof Output.Prepared e && e.seq() > stable) {
                prepared.add(e);
            }
        }
        return new Start.Resume(replica.stableCertificate(), stores[RECOVERING].stable, view, inViewChange, accepted,
                prepared);
    }

    /** Restarts replica 3 on its own log with every stored chunk damaged; returns what the log held. */
    private Start.Resume restartOnLogWithDamagedChunks(long view, boolean inViewChange) {
        Start.Resume log = loggedResume(replicas[RECOVERING], view, inViewChange);
        stores[RECOVERING].chunks.replaceAll((digest, chunk) -> flipped(chunk));
        services[RECOVERING] = new KvService(LIMITS);
        replicas[RECOVERING] = new ReplicaCore(config, RECOVERING, services[RECOVERING], new TestSignatures(RECOVERING),
                stores[RECOVERING], log);
        return log;
    }

    private void write(int firstKey, int count) {
        for (int i = firstKey; i < firstKey + count; i++) {
            submit(i);
        }
        tick(20);
    }

    /** A client puts a new value under key; every message it causes is delivered. */
    private void submit(int key) {
        byte[] op = new KvOperation.Put(("key" + key).getBytes(StandardCharsets.UTF_8),
                ("value" + key + "-" + clientSeq).getBytes(StandardCharsets.UTF_8)).encode();
        Request r = new Request(7, ++clientSeq, op);
        for (int replica = 0; replica < 4; replica++) {
            handle(replica, replicas[replica].step(new Input.FromClient(7, r)));
        }
        deliverAll();
    }

    /** Replica 3 boots rejuvenated: empty service, untrusted store. */
    private void rejuvenate(MemoryChunkStore disk) {
        stores[RECOVERING] = disk;
        services[RECOVERING] = new KvService(LIMITS);
        replicas[RECOVERING] = new ReplicaCore(config, RECOVERING, services[RECOVERING], new TestSignatures(RECOVERING),
                disk, Start.RECOVER);
    }

    private void recover() {
        for (int t = 0; t < 2_000 && replicas[RECOVERING].recovering(); t++) {
            tick(1);
        }
        assertFalse(replicas[RECOVERING].recovering(), "still recovering: " + replicas[RECOVERING].recovery());
        assertEquals(RecoveryProgress.Phase.DONE, replicas[RECOVERING].recovery().phase());
    }

    /** Once quiet (the leader stops its empty batches a few status intervals after the recovery). */
    private void assertSameStateAsThePeers() {
        tick(100);
        long seq = replicas[0].lastExecutedSeq();
        assertEquals(seq, replicas[RECOVERING].lastExecutedSeq());
        assertArrayEquals(services[0].stateDigest(), services[RECOVERING].stateDigest());
        assertArrayEquals(replicas[0].chainHash(), replicas[RECOVERING].chainHash());
        assertNotNull(replicas[RECOVERING].stableManifest());
        assertArrayEquals(replicas[0].stableCertificate().stateDigest(),
                replicas[RECOVERING].stableCertificate().stateDigest());
    }

    private void tick(int ticks) {
        for (int t = 0; t < ticks; t++) {
            for (int i = 0; i < 4; i++) {
                handle(i, replicas[i].step(Input.TICK));
            }
            deliverAll();
        }
    }

    private void handle(int from, Output out) {
        stores[from].newStep();
        stores[from].persist(out.toPersist());
        if (from == RECOVERING) {
            for (Output.Persist p : out.toPersist()) {
                if (p instanceof Output.LogEntry || p instanceof Output.Prepared) {
                    loggedByRecovering.add(p);
                } else if (p instanceof Output.StateChunk c) {
                    chunksPersistedByRecovering++;
                    unverifiedChunksPersisted += Arrays.equals(c.digest(), Digests.sha256(c.bytes())) ? 0 : 1;
                }
            }
        }
        for (Output.Outbound o : out.toReplicas()) {
            for (int to = 0; to < 4; to++) {
                Envelope sent = to != from && (o.to() == Output.ALL || o.to() == to)
                        ? network.apply(new Envelope(from, to, o.message())) : null;
                if (sent != null) {
                    queue.add(sent);
                }
            }
        }
    }

    /** Chunks reach the core as {@link Input.HashedChunk}, hashed before its step (as ReplicaNode does). */
    private boolean hashedByTheShell;

    private void deliverAll() {
        for (int i = 0; i < 1_000_000 && !queue.isEmpty(); i++) {
            Envelope e = queue.poll();
            Input input = hashedByTheShell && e.message() instanceof ChunkData c
                    ? new Input.HashedChunk(e.from(), c, Digests.sha256(c.bytes()))
                    : new Input.FromReplica(e.from(), e.message());
            handle(e.to(), replicas[e.to()].step(input));
        }
    }

    /** Local chunks checked and state installed at most 512 bytes a tick: a few parts of these small states. */
    private static ProtocolConfig smallReads(ProtocolConfig config) {
        ProtocolConfig.Builder b = config.toBuilder();
        b.verifyBytesPerTickMax = 512;
        return b.build();
    }

    private static byte[] flipped(byte[] bytes) {
        byte[] out = bytes.length == 0 ? new byte[] {1} : bytes.clone();
        out[out.length / 2] ^= 0x5a;
        return out;
    }
}
