package io.rsmr.replica.node;

import io.rsmr.common.crypto.Hex;
import io.rsmr.replica.crypto.ClientIds;
import io.rsmr.replica.crypto.EpochSignatures;
import io.rsmr.replica.crypto.Peer;
import io.rsmr.replica.crypto.ReplicaKeyRing;
import io.rsmr.replica.kv.KvService;
import io.rsmr.replica.protocol.Input;
import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.RecoveryProgress;
import io.rsmr.replica.protocol.ReplicaCore;
import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.DecodeException;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.FetchChunks;
import io.rsmr.replica.protocol.message.FetchState;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.ReadRequest;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.StateManifest;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.storage.DurableStore;
import io.rsmr.replica.storage.EpochKey;
import io.rsmr.replica.transport.DropReason;
import io.rsmr.replica.transport.Membership;
import io.rsmr.replica.transport.NioTransport;
import io.rsmr.replica.transport.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The thin shell around {@link ReplicaCore}: one event-loop thread that polls the transport,
 * turns authenticated frames into core inputs, feeds a tick every {@code tickMillis} of a real
 * clock, and carries out each step's output. Nothing here decides anything about the protocol.
 *
 * <p><b>Persist before send, by group commit.</b> Every step's {@link Output#toPersist()} goes to the
 * {@link DurableStore} at once, and its messages and replies are encoded into this turn's outbox.
 * At the end of the loop turn (one poll of the transport plus the ticks due) the store commits —
 * one sync of the log for the whole turn under {@link io.rsmr.replica.storage.FsyncPolicy#ALWAYS} —
 * and only then does the outbox leave. So nothing a peer or client hears can be lost by a crash,
 * even of every replica at once. A disk that fails a write stops the replica (exit 1).
 *
 * <p>One exception: the state transfer's messages ({@link #carriesNoVote}: manifests, chunks and the
 * requests for them) are written to the network before the turn's sync, not after it. None of them
 * says anything this replica decided that a crash could take back: a request carries nothing, and a
 * manifest or a chunk is checked by its receiver against a certificate of q signatures, whoever
 * sends it. Waiting for the sync of the ordering's log before each hop of a transfer capped
 * it at a few in-flight chunks per sync (~53 MB/s for 100 MB at n = 4, bench/replica-recovery.md).
 * They do not wait for the end of the turn's poll either: the transport writes what is queued after
 * each connection's input, so a chunk request leaves once the chunks that came with it were handled,
 * and a chunk as soon as it was asked for, not after the rest of a turn's input (up to several MB of
 * chunks from every peer).
 *
 * <p>Chunks travel in detached frames ({@link Transport#sendDetachedToReplica}): the transport
 * authenticates their head (seq, index, length and the SHA-256 of the bytes) but not their bytes,
 * which the receiver hashes anyway to check them against the certified manifest; so each chunk byte
 * is hashed once on arrival instead of twice, and not at all when sent (nor copied: the image's
 * arrays are never changed: {@link io.rsmr.replica.service.Service#snapshotParts}). A detached frame is
 * accepted only as such a chunk (see {@link #onDetached}; {@link io.rsmr.replica.crypto.FrameOpener}
 * says what an attacker on the wire can and cannot do with it). Their bytes are hashed on a thread of
 * their own ({@link ChunkHasher}), overlapping with this loop's work on the next chunks.
 *
 * <p>At boot the store decides how the core starts (fresh, resume from its own log, or recover from
 * peers); the shell times the recovery and reports it to the agent ({@link RecoveryTimer}).
 */
public final class ReplicaNode implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReplicaNode.class.getName());
    /** Ticks caught up in one loop turn after a stall; the rest are skipped, not queued. */
    private static final int TICKS_PER_TURN_MAX = 10;
    /** While recovering, the agent hears how far it got at least this often (besides each phase change). */
    private static final long PROGRESS_INTERVAL_MILLIS = 1000;

    /** A message of this turn, encoded, waiting for the turn's commit: to a replica (ALL: every other one) or a client. */
    private record Outgoing(boolean toClient, long to, byte[] bytes) {
    }

    private final NodeSettings settings;
    private final Membership membership;
    private final Transport transport;
    private final KvService service;
    private final ServiceDigest serviceDigest;
    private final DurableStore store;
    private final ReplicaCore core;
    private final MessageCodec codec;
    private final StatusFile status;
    private final LongSupplier nanoClock = System::nanoTime;
    private final Clock wallClock = Clock.systemUTC();
    /** When to hand leadership over next (null: never). */
    private Instant nextHandOver;
    private final Map<DecodeException.Reason, Long> decodeDrops = new EnumMap<>(DecodeException.Reason.class);
    private final Random byzantineRandom = new Random(1);
    private final Optional<AgentReport> agent;
    private final List<Outgoing> outbox = new ArrayList<>();
    private final RecoveryTimer recovery;
    private boolean recoveryReported;
    private final ChunkHasher chunkHasher;
    private long nextProgressNanos;
    private volatile boolean running = true;

    public ReplicaNode(NodeSettings settings, Optional<AgentReport> agent) throws IOException {
        long startNanos = nanoClock.getAsLong();
        this.settings = settings;
        this.agent = agent;
        this.nextHandOver = settings.handOver().map(schedule -> schedule.nextAfter(wallClock.instant())).orElse(null);
        this.membership = settings.membership();
        ReplicaKeyRing keyRing = membership.newKeyRing();
        this.service = new KvService(settings.kvLimits());
        this.serviceDigest = new ServiceDigest(service);
        this.codec = new MessageCodec(settings.protocol());
        this.store = DurableStore.open(settings.dataDir(), EpochKey.of(settings.identity().epoch(),
                settings.identity().key().publicKey()), codec, settings.fsyncPolicy(), DurableStore.SEGMENT_BYTES_MAX_DEFAULT);
        long coreNanos = nanoClock.getAsLong();
        this.core = new ReplicaCore(settings.protocol(), membership.coreIndex(settings.replicaId()), service,
                new EpochSignatures(settings.identity(), keyRing, this::replicaIdOrNone), store.chunks(), store.start());
        long loadMillis = store.loadMillis() + TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - coreNanos);
        this.recovery = new RecoveryTimer(startNanos, loadMillis, nanoClock.getAsLong(), this::replicaIdOrNone);
        LOG.info("replica " + settings.replicaId() + " epoch " + settings.identity().epoch() + ": "
                + store.start().getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + " ("
                + store.startReason() + "), loaded in " + loadMillis + " ms, fsync " + store.policy().label()
                + (core.recovering() ? ", recovering from peers" : ", votes at once"));
        this.status = new StatusFile(settings.dataDir().resolve(StatusFile.NAME));
        this.transport = NioTransport.forReplica(settings.transport(), settings.identity(), keyRing,
                membership.addresses().get(settings.replicaId()), membership.addresses());
        this.chunkHasher = new ChunkHasher("chunk-hasher-" + settings.replicaId(), transport::wakeup);
        if (settings.byzantineMode() != ByzantineMode.NONE) {
            LOG.warning("TEST ONLY: replica " + settings.replicaId() + " runs Byzantine mode " + settings.byzantineMode());
        }
    }

    /** Runs the event loop on the calling thread until {@link #stop()}. */
    public void run() {
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(settings.tickMillis());
        long nextTick = nanoClock.getAsLong() + tickNanos;
        long nextStatus = 0;
        try {
            while (running) {
                long waitNanos = Math.max(0, nextTick - nanoClock.getAsLong());
                transport.poll(Transport.timeoutMillis(waitNanos), inbound);
                chunkHasher.drain(chunk -> execute(core.step(chunk)));
                long now = nanoClock.getAsLong();
                for (int i = 0; i < TICKS_PER_TURN_MAX && now - nextTick >= 0; i++) {
                    execute(core.step(Input.TICK));
                    nextTick += tickNanos;
                }
                if (now - nextTick >= 0) {
                    nextTick = now + tickNanos;
                }
                handOverIfDue();
                commitThenSend();
                observeRecovery();
                if (now - nextStatus >= 0) {
                    writeStatus();
                    nextStatus = now + TimeUnit.MILLISECONDS.toNanos(settings.statusWriteIntervalMillis());
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new UncheckedIOException("replica " + settings.replicaId() + " event loop failed",
                    e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
        } finally {
            chunkHasher.close();
            transport.close();
            closeStore();
        }
    }

    /**
     * Before each of this replica's rejuvenation slots (the cluster config's schedule), the core
     * hands leadership over if it leads, so that clients do not wait out a request timeout while
     * the agent takes it down.
     */
    private void handOverIfDue() {
        if (nextHandOver == null || wallClock.instant().isBefore(nextHandOver)) {
            return;
        }
        LOG.info("replica " + settings.replicaId() + " hands over leadership (if it leads) before its rejuvenation"
                + " slot at " + nextHandOver.plus(settings.handOver().orElseThrow().lead()));
        execute(core.step(Input.STEP_DOWN));
        nextHandOver = settings.handOver().orElseThrow().nextAfter(wallClock.instant());
    }

    /** Makes {@link #run()} return soon; callable from any thread. */
    public void stop() {
        running = false;
        transport.wakeup();
    }

    @Override
    public void close() {
        stop();
    }

    private void closeStore() {
        try {
            store.close();
        } catch (IOException e) {
            LOG.warning("replica " + settings.replicaId() + ": closing the log failed: " + e);
        }
    }

    /** What the transport hands over: messages, and the request keys of client sessions. */
    private final Transport.Inbound inbound = new Transport.Inbound() {
        @Override
        public void onMessage(Peer from, byte[] message) {
            ReplicaNode.this.onMessage(from, message);
        }

        @Override
        public boolean onDetached(Peer from, byte[] head, byte[] tail) {
            return ReplicaNode.this.onDetached(from, head, tail);
        }

        @Override
        public void onSession(Peer peer, int endpoint, byte[] requestKey) {
            if (peer instanceof Peer.Client client) {
                execute(core.step(new Input.ClientSession(client.id(), requestKey)));
            }
        }
    };

    private void onMessage(Peer from, byte[] frame) {
        Message message;
        try {
            message = codec.decode(frame);
        } catch (DecodeException e) {
            decodeDrops.merge(e.reason(), 1L, Long::sum);
            transport.drops().count(DropReason.MALFORMED);
            return;
        }
        Input input = toInput(from, message);
        if (input == null) {
            transport.drops().count(DropReason.MALFORMED);
            return;
        }
        execute(core.step(input));
    }

    /**
     * A detached frame is taken only as a chunk from a replica, its head a chunk's head and its
     * unauthenticated tail exactly the chunk's bytes: the head names their SHA-256, which the core
     * checks (with the manifest's) before it uses them. Anything else is refused, so an attacker on
     * the wire can alter nothing but bytes that are checked against an authenticated digest.
     */
    private boolean onDetached(Peer from, byte[] head, byte[] tail) {
        if (!(from instanceof Peer.Replica replica)) {
            return false;
        }
        ChunkData chunk;
        try {
            chunk = codec.decodeChunk(head, tail);
        } catch (DecodeException e) {
            decodeDrops.merge(e.reason(), 1L, Long::sum);
            return false;
        }
        int sender = membership.coreIndex(replica.id());
        if (!chunkHasher.submit(sender, chunk)) {
            execute(core.step(new Input.FromReplica(sender, chunk)));
        }
        return true;
    }

    /** Null for what a peer may not send: a client sends only requests and reads, under ids its key owns. */
    private Input toInput(Peer from, Message message) {
        if (from instanceof Peer.Replica replica) {
            return new Input.FromReplica(membership.coreIndex(replica.id()), message);
        }
        if (message instanceof Request request && ClientIds.keyOf(request.clientId()) == ((Peer.Client) from).id()) {
            return new Input.FromClient(request.clientId(), request);
        }
        if (message instanceof ReadRequest read && ClientIds.keyOf(read.clientId()) == ((Peer.Client) from).id()) {
            return new Input.FromClientRead(read.clientId(), read);
        }
        return null;
    }

    /** Hands the step's persist entries to the store and queues its messages for the turn's end. */
    private void execute(Output output) {
        try {
            for (Output.Persist entry : output.toPersist()) {
                store.persist(entry);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (settings.byzantineMode() == ByzantineMode.SILENT) {
            return;
        }
        for (Output.Outbound outbound : output.toReplicas()) {
            if (outbound.message() instanceof ChunkData chunk && settings.byzantineMode() != ByzantineMode.GARBLE) {
                sendChunk(outbound.to(), chunk);
                continue;
            }
            byte[] bytes = misbehave(codec.encode(outbound.message()));
            if (carriesNoVote(outbound.message())) {
                sendToReplicas(outbound.to(), bytes);
            } else {
                outbox.add(new Outgoing(false, outbound.to(), bytes));
            }
        }
        for (Output.ClientReply reply : output.toClients()) {
            outbox.add(new Outgoing(true, reply.clientId(), codec.encode(wrongIfByzantine(reply.reply()))));
        }
        for (Output.ClientReplyDigest reply : output.toClientsDigests()) {
            outbox.add(new Outgoing(true, reply.clientId(), codec.encode(wrongIfByzantine(reply.reply()))));
        }
        for (Output.ClientReadReply reply : output.toClientsReads()) {
            outbox.add(new Outgoing(true, reply.clientId(), codec.encode(wrongIfByzantine(reply.reply()))));
        }
    }

    /** The group commit: everything this turn persisted becomes durable, then its messages leave. */
    private void commitThenSend() throws IOException {
        transport.flush();
        store.commit();
        for (Outgoing message : outbox) {
            if (message.toClient()) {
                transport.sendToClient(message.to(), message.bytes());
            } else {
                sendToReplicas(message.to(), message.bytes());
            }
        }
        outbox.clear();
    }

    /** State transfer messages, which need not wait for the turn's sync (see the class comment). */
    static boolean carriesNoVote(Message message) {
        return message instanceof ChunkData || message instanceof StateManifest || message instanceof FetchChunks
                || message instanceof FetchState;
    }

    /**
     * A chunk in a detached frame (see the class comment); sent at once, like every transfer message.
     * A chunk answers one peer's request, never every peer.
     */
    private void sendChunk(long to, ChunkData chunk) {
        assert to != Output.ALL : "chunks are sent to the peer that asked";
        ByzantineMode mode = settings.byzantineMode();
        byte[] bytes = mode == ByzantineMode.SPOILED_CHUNKS || mode == ByzantineMode.FORGED_CHUNKS
                ? wrong(chunk.bytes()) : chunk.bytes();
        byte[] head = codec.encodeChunkHead(mode == ByzantineMode.FORGED_CHUNKS
                ? new ChunkData(chunk.seq(), chunk.index(), Digests.sha256(bytes), bytes) : chunk);
        transport.sendDetachedToReplica(membership.replicaId((int) to), head, bytes);
    }

    private void sendToReplicas(long to, byte[] bytes) {
        if (to == Output.ALL) {
            broadcast(bytes);
        } else {
            transport.sendToReplica(membership.replicaId((int) to), bytes);
        }
    }

    private void broadcast(byte[] bytes) {
        for (Membership.Member member : membership.members()) {
            if (member.id() != settings.replicaId()) {
                transport.sendToReplica(member.id(), bytes);
            }
        }
    }

    private byte[] misbehave(byte[] encoded) {
        if (settings.byzantineMode() == ByzantineMode.GARBLE && encoded.length > 1) {
            int at = 1 + byzantineRandom.nextInt(encoded.length - 1);
            encoded[at] ^= (byte) (1 + byzantineRandom.nextInt(255));
        }
        return encoded;
    }

    private Reply wrongIfByzantine(Reply reply) {
        return lyingToClients() ? new Reply(reply.clientId(), reply.requestSeq(), reply.view(), wrong(reply.result())) : reply;
    }

    private ReplyDigest wrongIfByzantine(ReplyDigest reply) {
        return lyingToClients() ? new ReplyDigest(reply.clientId(), reply.requestSeq(), reply.view(), wrong(reply.resultDigest())) : reply;
    }

    private ReadReply wrongIfByzantine(ReadReply reply) {
        return lyingToClients() ? new ReadReply(reply.clientId(), reply.readSeq(), wrong(reply.result())) : reply;
    }

    private boolean lyingToClients() {
        return settings.byzantineMode() == ByzantineMode.WRONG_REPLIES || settings.byzantineMode() == ByzantineMode.GARBLE;
    }

    /** Different bytes of the same length (a digest must still decode). */
    private static byte[] wrong(byte[] right) {
        byte[] wrong = right.length == 0 ? new byte[] {42} : right.clone();
        wrong[wrong.length - 1] ^= 42;
        return wrong;
    }

    private int replicaIdOrNone(int coreIndex) {
        return coreIndex >= 0 && coreIndex < membership.n() ? membership.replicaId(coreIndex) : -1;
    }

    /** Progress lines while recovering, bad peers as they are found, and the "recovered" line once. */
    private void observeRecovery() {
        if (recoveryReported) {
            return;
        }
        RecoveryProgress progress = core.recovery();
        long now = nanoClock.getAsLong();
        boolean changed = recovery.observe(progress, now);
        for (int peer : recovery.newBadPeers(progress)) {
            LOG.warning("replica " + settings.replicaId() + ": peer replica " + peer
                    + " served state that does not match the certified checkpoint; it is avoided from now on");
        }
        int id = settings.replicaId();
        long epoch = settings.identity().epoch();
        if (core.recovering()) {
            if (changed || now - nextProgressNanos >= 0) {
                String line = recovery.progressJson(id, epoch, progress, now);
                LOG.info("replica " + id + " recovering: " + line);
                report(line);
                nextProgressNanos = now + TimeUnit.MILLISECONDS.toNanos(PROGRESS_INTERVAL_MILLIS);
            }
            return;
        }
        recoveryReported = true;
        long checkpointSeq = core.stableCertificate().seq();
        store.recovered(checkpointSeq);
        String line = recovery.recoveredJson(id, epoch, checkpointSeq, Hex.of(core.stableCertificate().stateDigest()),
                progress, now);
        LOG.info("replica " + id + " votes: " + line);
        report(line);
    }

    private void report(String json) {
        agent.ifPresent(report -> report.event(json));
    }

    private void writeStatus() {
        StatusFile.Status now = new StatusFile.Status(settings.replicaId(), settings.identity().epoch(), core.view(),
                core.lastExecutedSeq(), Hex.of(serviceDigest.digest()), Hex.of(core.chainHash()),
                core.stableCertificate().seq(), Hex.of(core.stableCertificate().stateDigest()), core.recovering(),
                transport.drops().snapshot().toString(), decodeDrops.toString(), core.dropCounts().toString());
        status.writeIfChanged(now);
    }
}
