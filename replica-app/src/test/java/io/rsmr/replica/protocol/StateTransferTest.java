package io.rsmr.replica.protocol;

import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvOperation;
import io.rsmr.replica.kv.KvService;
import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.protocol.message.StateManifest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

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
    private static final ProtocolConfig CONFIG = ProtocolConfig.defaults(4, 0, 1).withWindow(4, 8, 2)
            .withTimeouts(400, 200, 5);
    private static final KvLimits LIMITS = new KvLimits(64, 4096, 10, 4096, 10_000, 16);
    private static final int RECOVERING = 3;

    private record Envelope(int from, int to, Message message) {
    }

    /** A replica's durable chunks, as the shell keeps them. */
    private static final class MemoryStore implements ChunkStore {
        final Map<ByteBuffer, byte[]> chunks = new HashMap<>();
        StateManifest stable;

        @Override
        public byte[] read(byte[] digest) {
            byte[] chunk = chunks.get(ByteBuffer.wrap(digest));
            return chunk == null ? null : chunk.clone();
        }

        /** The disk as it is now: the replica's later writes do not reach the copy. */
        MemoryStore copy() {
            MemoryStore copy = new MemoryStore();
            copy.chunks.putAll(chunks);
            copy.stable = stable;
            return copy;
        }

        void persist(List<Output.Persist> entries) {
            for (Output.Persist p : entries) {
                if (p instanceof Output.StateChunk c) {
                    chunks.put(ByteBuffer.wrap(c.digest()), c.bytes());
                } else if (p instanceof Output.StableCheckpoint s) {
                    stable = s.manifest();
                }
            }
        }
    }

    private final ReplicaCore[] replicas = new ReplicaCore[4];
    private final KvService[] services = new KvService[4];
    private final MemoryStore[] stores = new MemoryStore[4];
    private final ArrayDeque<Envelope> queue = new ArrayDeque<>();
    private final List<Output.Persist> persistedByRecovering = new ArrayList<>();
    private UnaryOperator<Envelope> network = e -> e;
    private long clientSeq;

    StateTransferTest() {
        for (int i = 0; i < 4; i++) {
            stores[i] = new MemoryStore();
            services[i] = new KvService(LIMITS);
            replicas[i] = new ReplicaCore(CONFIG, i, services[i], new TestSignatures(i), stores[i], Start.FRESH);
        }
    }

    @Test
    void aRejuvenatedReplicaKeepsTheChunksThatMatchAndFetchesOnlyTheRest() {
        write(0, 200);
        MemoryStore old = stores[RECOVERING].copy();
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

    @Test
    void aRecoveringReplicaAsksForTheCertificateAtOnceNotAtTheNextStatusRound() {
        write(0, 50);
        rejuvenate(new MemoryStore());
        tick(CONFIG.statusIntervalTicks() - 1);
        assertNotEquals(RecoveryProgress.Phase.LEARNING, replicas[RECOVERING].recovery().phase(),
                "the certificate came before the first status round: " + replicas[RECOVERING].recovery());
        recover();
        assertSameStateAsThePeers();
    }

    @Test
    void chunksThatDoNotMatchTheCertificateAreRejectedAndTheirSenderAvoided() {
        write(0, 100);
        network = e -> e.from() == 1 && e.to() == RECOVERING && e.message() instanceof ChunkData c
                ? new Envelope(1, RECOVERING, new ChunkData(c.seq(), c.index(), flipped(c.bytes()))) : e;
        rejuvenate(new MemoryStore());
        recover();
        RecoveryProgress progress = replicas[RECOVERING].recovery();
        assertEquals(Set.of(1), progress.badPeers(), "replica 1 served chunks that do not match: " + progress);
        assertTrue(replicas[RECOVERING].dropCount(DropReason.BAD_STATE) > 0);
        for (Output.Persist p : persistedByRecovering) {
            if (p instanceof Output.StateChunk c) {
                assertArrayEquals(c.digest(), io.rsmr.replica.protocol.message.Digests.sha256(c.bytes()),
                        "only verified chunks reach the disk");
            }
        }
        assertSameStateAsThePeers();
    }

    @Test
    void aReplicaRestartedOnItsOwnLogResumesWithoutATransfer() {
        write(0, 60);
        ReplicaCore before = replicas[RECOVERING];
        StateManifest manifest = stores[RECOVERING].stable;
        Start resume = new Start.Resume(before.stableCertificate(), manifest, before.view(), false, List.of(), List.of());
        services[RECOVERING] = new KvService(LIMITS);
        replicas[RECOVERING] = new ReplicaCore(CONFIG, RECOVERING, services[RECOVERING], new TestSignatures(RECOVERING),
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
        for (Output.Persist p : persistedByRecovering) {
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
        replicas[RECOVERING] = new ReplicaCore(CONFIG, RECOVERING, services[RECOVERING], new TestSignatures(RECOVERING),
                stores[RECOVERING], log);
        return log;
    }

    private void write(int firstKey, int count) {
        for (int i = firstKey; i < firstKey + count; i++) {
            byte[] op = new KvOperation.Put(("key" + i).getBytes(StandardCharsets.UTF_8),
                    ("value" + i + "-" + clientSeq).getBytes(StandardCharsets.UTF_8)).encode();
            Request r = new Request(7, ++clientSeq, op);
            for (int replica = 0; replica < 4; replica++) {
                handle(replica, replicas[replica].step(new Input.FromClient(7, r)));
            }
            deliverAll();
        }
        tick(20);
    }

    /** Replica 3 boots rejuvenated: empty service, untrusted store. */
    private void rejuvenate(MemoryStore disk) {
        stores[RECOVERING] = disk;
        services[RECOVERING] = new KvService(LIMITS);
        replicas[RECOVERING] = new ReplicaCore(CONFIG, RECOVERING, services[RECOVERING], new TestSignatures(RECOVERING),
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
        stores[from].persist(out.toPersist());
        if (from == RECOVERING) {
            persistedByRecovering.addAll(out.toPersist());
        }
        for (Output.Outbound o : out.toReplicas()) {
            for (int to = 0; to < 4; to++) {
                if (to != from && (o.to() == Output.ALL || o.to() == to)) {
                    queue.add(network.apply(new Envelope(from, to, o.message())));
                }
            }
        }
    }

    private void deliverAll() {
        for (int i = 0; i < 1_000_000 && !queue.isEmpty(); i++) {
            Envelope e = queue.poll();
            handle(e.to(), replicas[e.to()].step(new Input.FromReplica(e.from(), e.message())));
        }
    }

    private static byte[] flipped(byte[] bytes) {
        byte[] out = bytes.length == 0 ? new byte[] {1} : bytes.clone();
        out[out.length / 2] ^= 0x5a;
        return out;
    }
}
