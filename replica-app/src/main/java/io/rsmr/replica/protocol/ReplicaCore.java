package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.NewViewDecision.Decided;
import io.rsmr.replica.protocol.NewViewDecision.Decision;
import io.rsmr.replica.crypto.ClientIds;
import io.rsmr.replica.protocol.message.Authenticators;
import io.rsmr.replica.protocol.message.Batch;
import io.rsmr.replica.protocol.message.BatchData;
import io.rsmr.replica.protocol.message.Checkpoint;
import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.FetchChunks;
import io.rsmr.replica.protocol.message.Commit;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.FetchBatch;
import io.rsmr.replica.protocol.message.FetchState;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.NewView;
import io.rsmr.replica.protocol.message.PrePrepare;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.ReadRequest;
import io.rsmr.replica.protocol.message.Prepare;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.protocol.message.RequestRef;
import io.rsmr.replica.protocol.message.SlotClaim;
import io.rsmr.replica.protocol.message.StateManifest;
import io.rsmr.replica.protocol.message.Status;
import io.rsmr.replica.protocol.message.ViewChange;
import io.rsmr.replica.service.Service;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The pure ordering protocol of one replica: PBFT with quorums q = n-k-k' (k silent and k'
 * Byzantine replicas at once), {@code Output step(Input)}. No threads, sockets, clocks or files;
 * time arrives as {@link Input.Tick}. Not thread-safe: one caller at a time.
 *
 * <p>Normal case: the leader of a view (view mod n) batches the client requests it received and
 * proposes them (pre-prepare, with the operations and the clients' authenticators) for up to
 * {@code pipelineInstancesMax} sequence numbers at once, inside the window above the stable
 * checkpoint. A backup accepts a proposal only if it knows that the client sent every request in it
 * (see {@link #clientSent}), then sends a prepare; pre-prepare plus q-1 matching prepares make a
 * prepared certificate and a commit; q matching commits decide the seq. Decided batches run in seq
 * order. These messages are only MAC-authenticated by the transport.
 *
 * <p>Every {@code checkpointIntervalSeqs} seqs the replica signs the digest of its checkpoint state
 * (service snapshot, reply cache, hash chain); q matching signatures are a stable checkpoint
 * certificate, below which the log is dropped. The state is cut into chunks and the signed digest is
 * the root of their {@link StateManifest}, so a replica behind a certificate fetches only the chunks
 * it lacks, from several peers, each checked on arrival ({@link StateTransfer}) and handed to the
 * chunk store; the state is then installed from the store part by part ({@link ImageInstall}), so the
 * core never holds a copy of the state, whatever its size. Peers serve at most
 * {@code serveBytesPerTickMax} bytes per tick so that a transfer does not stall the ordering.
 *
 * <p>View change: a request pending for {@code requestTimeoutTicks}, proof that the leader
 * misbehaved (two proposals for one seq, a malformed batch), or the leader's own view change (it
 * hands over before its rejuvenation, {@link Input.StepDown}) makes a replica sign a view change with
 * its prepared and pre-prepared claims; k'+1 view changes for higher views make a replica join.
 * The new leader signs a new view holding the view changes it decided from; see
 * {@link NewViewDecision}.
 *
 * <p>Retransmission: replicas broadcast a small status every {@code statusIntervalTicks}; a peer
 * that lags gets the stable certificate, the current new view, or our own messages for the seqs it
 * misses. Persistence rule: see {@link Output}.
 *
 * <p>How a replica starts is a {@link Start}. One that restarts from its own trusted log resumes
 * at once, remembering its votes (when its stored chunks are damaged, once it has fetched the
 * certified state). One whose disk is untrusted or lost ({@code recovering}) must not
 * vote: it could contradict what it voted before. It listens, fetches the certified state (reusing
 * local chunks that match it) and executes decided batches, and votes again once its stable
 * checkpoint passes every seq it could have voted on (the highest seq its peers report plus the
 * window). Its status says it is recovering; the leader then fills its pipeline's spare room with
 * empty batches each tick, so that the checkpoints it waits for come even when no client writes.
 */
public class ReplicaCore {
    private final ProtocolConfig config;
    private final int me;
    private final Service service;
    private final Signatures signatures;
    private final Output out = new Output();
    private final EnumMap<DropReason, Long> drops = new EnumMap<>(DropReason.class);

    private long now;
    private long lastProgressTick;

    private long view;
    private boolean inViewChange;
    private int failedViewChanges;
    private long viewChangeStartTick;
    private final ViewChange[] latestViewChange;
    private NewView currentNewView;
    /** What currentNewView decided; slots above our window then are installed once it moves. */
    private Decision currentDecision;

    private final Map<Long, Slot> slots = new HashMap<>();
    private final TreeSet<Long> waitingSeqs = new TreeSet<>();
    private long nextProposalSeq = 1;
    private final Map<Long, Long> proposed = new HashMap<>();
    private final ArrayDeque<Long> proposalQueue = new ArrayDeque<>();
    /**
     * Per client key id: the key for this replica's entry of its requests' authenticators, from the
     * latest handshake (least recently used first, at most clientsMax).
     */
    private final LinkedHashMap<Long, Authenticators.Key> requestKeys = new LinkedHashMap<>(16, 0.75f, true);
    /** Requests backups forwarded to this leader, per client and forwarding replica. */
    private final Map<Long, Request[]> forwards = new HashMap<>();

    private long lastExecuted;
    /** The highest seq this replica ever sent a commit for (a fast-path read waits for it). */
    private long highestCommitSeq;
    /** Fast-path reads waiting for execution to reach their seq, in arrival order. */
    private final ArrayDeque<PendingRead> pendingReads = new ArrayDeque<>();
    private byte[] chain = new byte[Digests.DIGEST_BYTES];
    private ReplyCache replies;
    private final LinkedHashMap<Long, Pending> pending = new LinkedHashMap<>();

    private final ChunkStore store;
    private CheckpointCertificate stableCert = CheckpointCertificate.genesis();
    /** The stable state's chunks (null for genesis). */
    private StateImage stableImage;
    /**
     * The stable image and older ones that a peer fetched from recently, by seq, with the tick of
     * that last use: a transfer keeps its target while checkpoints move on under load. Unchanged
     * parts are shared arrays, so an older image costs only what changed since.
     */
    private final TreeMap<Long, StateImage> servable = new TreeMap<>();
    private static final int SERVED_OLDER_IMAGES_MAX = 2;
    /** How often a recovering replica that knows no certificate yet asks its peers for one. */
    private static final int LEARNING_STATUS_INTERVAL_TICKS = 2;
    /**
     * Empty batches a leader may propose per tick for a recovering peer. They refill the pipeline
     * as they execute, not only at the tick, so the checkpoints the peer waits for come in a
     * fraction of a second; the cap bounds what a peer that lies about recovering can cost.
     */
    private static final int EMPTY_FILL_SEQS_PER_TICK_MAX = 32;
    /**
     * Empty batches in flight while no client request waits: deeper than the pipeline, so that one
     * log sync per turn covers many of them (with fsync on, a pipeline of 4 made about 130 seqs a
     * second here, and a recovering peer waits for up to L + K of them).
     */
    private static final int EMPTY_FILL_SEQS_IN_FLIGHT_MAX = 16;
    private int emptyFillBudget;
    private final Map<Long, Long> servedTick = new HashMap<>();
    private final TreeMap<Long, StateImage> ownImages = new TreeMap<>();
    private final TreeMap<Long, Checkpoint[]> checkpointVotes = new TreeMap<>();
    /** Verified certificates at or above the stable one (a lagging replica installs any of them). */
    private final TreeMap<Long, CheckpointCertificate> certified = new TreeMap<>();
    private CheckpointCertificate targetCert;
    private final StateTransfer transfer;
    /** The install of a completed transfer, under way over ticks, or null. */
    private ImageInstall installing;
    private final long[] lastStateServedTick;
    private final long[] peerLastExecuted;
    /** Until when each peer counts as recovering and waiting for checkpoints (per a recent status). */
    private final long[] peerRecoveringUntilTick;
    /** Chunks asked of us, served in order within the per-tick byte budget. */
    private final ArrayDeque<Served> serveQueue = new ArrayDeque<>();
    private long serveBudgetBytes;

    private boolean recovering;
    private boolean installedByTransfer;
    private final long[] recoveryReports;
    private long recoveryPoint = -1;
    private long recoveryCertSeq;
    /**
     * A resume whose stored chunks failed their check: its log is still trusted, so once a
     * transfer has installed a state at or above its stable checkpoint, its votes are restored and
     * the replica votes again at once instead of waiting out the recovery point.
     */
    private Start.Resume votesToRestore;

    private record Served(int peer, long seq, int index) {
    }

    private record PendingRead(long clientId, ReadRequest read, long waitSeq, long arrivedTick) {
    }

    private static final class Pending {
        final Request request;
        final byte[] operationDigest;
        long receivedTick;
        boolean forwarded;
        /** The client sent this request again (all replicas answer it, not only the first repliers). */
        boolean resent;

        Pending(Request request, long receivedTick) {
            this.request = request;
            this.operationDigest = Digests.sha256(request.operation());
            this.receivedTick = receivedTick;
        }

        boolean matches(RequestRef ref) {
            return request.requestSeq() == ref.requestSeq() && Arrays.equals(operationDigest, ref.operationDigest());
        }

        boolean matches(Request other) {
            return request.sameAs(other);
        }
    }

    /** A replica of a freshly started cluster that keeps its chunks nowhere (tests). */
    public ReplicaCore(ProtocolConfig config, int replicaId, Service service, Signatures signatures) {
        this(config, replicaId, service, signatures, ChunkStore.EMPTY, Start.FRESH);
    }

    /**
     * @param store where the shell keeps the chunks this core asks it to persist (untrusted)
     * @param start fresh, resuming from a trusted log, or recovering with an untrusted disk
     */
    public ReplicaCore(ProtocolConfig config, int replicaId, Service service, Signatures signatures,
                       ChunkStore store, Start start) {
        if (replicaId < 0 || replicaId >= config.n()) {
            throw new IllegalArgumentException("replicaId " + replicaId + " not in [0, " + config.n() + ")");
        }
        this.config = config;
        this.me = replicaId;
        this.service = service;
        this.signatures = signatures;
        this.store = store;
        this.recovering = start instanceof Start.Recover;
        this.replies = new ReplyCache(config.clientsMax());
        this.transfer = new StateTransfer(config, replicaId, store);
        this.peerRecoveringUntilTick = new long[config.n()];
        this.latestViewChange = new ViewChange[config.n()];
        this.lastStateServedTick = new long[config.n()];
        Arrays.fill(lastStateServedTick, Long.MIN_VALUE / 2);
        this.peerLastExecuted = new long[config.n()];
        Arrays.fill(peerLastExecuted, -1);
        this.recoveryReports = new long[config.n()];
        Arrays.fill(recoveryReports, -1);
        if (start instanceof Start.Resume resume) {
            resume(resume);
        }
    }

    /** Handles one input; the returned Output is reused by the next call. */
    public Output step(Input input) {
        out.clear();
        if (input instanceof Input.Tick) {
            onTick();
        } else if (input instanceof Input.FromClient fc) {
            onClientRequest(fc.clientId(), fc.request());
        } else if (input instanceof Input.FromClientRead fr) {
            onClientRead(fr.clientId(), fr.read());
        } else if (input instanceof Input.FromReplica fr) {
            onReplicaMessage(fr.sender(), fr.message());
        } else if (input instanceof Input.HashedChunk hc) {
            onHashedChunk(hc);
        } else if (input instanceof Input.StepDown) {
            onStepDown();
        } else if (input instanceof Input.ClientSession cs) {
            onClientSession(cs);
        }
        return out;
    }

    // ------------------------------------------------------------------ accessors

    public int replicaId() {
        return me;
    }

    public ProtocolConfig config() {
        return config;
    }

    public long view() {
        return view;
    }

    public boolean inViewChange() {
        return inViewChange;
    }

    public boolean recovering() {
        return recovering;
    }

    public long lastExecutedSeq() {
        return lastExecuted;
    }

    public byte[] chainHash() {
        return chain.clone();
    }

    /** The latest stable checkpoint certificate (what a recovering peer asks for). */
    public CheckpointCertificate stableCertificate() {
        return stableCert;
    }

    /** The chunk layout of the state certified by {@link #stableCertificate()} (null for genesis). */
    public StateManifest stableManifest() {
        return stableImage == null ? null : stableImage.manifest;
    }

    /** Where a recovering replica stands; {@link RecoveryProgress.Phase#DONE} once it votes. */
    public RecoveryProgress recovery() {
        if (!recovering) {
            return transfer.progress(RecoveryProgress.Phase.DONE);
        }
        if (transfer.target() != null) {
            return transfer.progress(transfer.phase());
        }
        return transfer.progress(installedByTransfer ? RecoveryProgress.Phase.REPLAYING : RecoveryProgress.Phase.LEARNING);
    }

    public long dropCount(DropReason reason) {
        return drops.getOrDefault(reason, 0L);
    }

    public Map<DropReason, Long> dropCounts() {
        return Map.copyOf(drops);
    }

    /**
     * Matching prepares (counting the leader's proposal) and commits that make a certificate. Only
     * a test's deliberately broken subclass overrides this, to show that the simulator's checkers
     * catch an unsafe protocol.
     */
    protected int certificateQuorum() {
        return config.quorum();
    }

    // ------------------------------------------------------------------ dispatch

    private void drop(DropReason reason) {
        drops.merge(reason, 1L, Long::sum);
    }

    private int leader() {
        return config.leaderOf(view);
    }

    private long stableSeq() {
        return stableCert.seq();
    }

    private boolean inWindow(long seq) {
        return seq > stableSeq() && seq <= stableSeq() + config.logWindowSeqs();
    }

    private boolean canVote() {
        return !recovering;
    }

    private Slot slot(long seq) {
        return slots.computeIfAbsent(seq, s -> new Slot(s, config.n()));
    }

    private void onReplicaMessage(int sender, Message m) {
        if (sender < 0 || sender >= config.n() || sender == me) {
            drop(DropReason.NOT_FROM_REPLICA);
        } else if (m instanceof PrePrepare pp) {
            onPrePrepare(sender, pp);
        } else if (m instanceof Prepare p) {
            onPrepare(sender, p);
        } else if (m instanceof Commit c) {
            onCommit(sender, c);
        } else if (m instanceof Checkpoint c) {
            onCheckpoint(sender, c);
        } else if (m instanceof CheckpointCertificate cc) {
            onCertificate(cc);
        } else if (m instanceof ViewChange vc) {
            onViewChange(sender, vc);
        } else if (m instanceof NewView nv) {
            onNewView(nv);
        } else if (m instanceof Status s) {
            onStatus(sender, s);
        } else if (m instanceof FetchBatch f) {
            onFetchBatch(sender, f);
        } else if (m instanceof BatchData b) {
            onBatchData(b);
        } else if (m instanceof FetchState f) {
            onFetchState(sender, f);
        } else if (m instanceof FetchChunks f) {
            onFetchChunks(sender, f);
        } else if (m instanceof StateManifest sm) {
            onManifest(sender, sm);
        } else if (m instanceof ChunkData c) {
            onChunk(sender, c, Digests.sha256(c.bytes()));
        } else if (m instanceof Request r) {
            onForwardedRequest(sender, r);
        } else {
            drop(DropReason.UNEXPECTED);
        }
    }

    // ------------------------------------------------------------------ client requests

    private void onClientSession(Input.ClientSession cs) {
        requestKeys.put(cs.keyId(), new Authenticators.Key(cs.requestKey()));
        if (requestKeys.size() > config.clientsMax()) {
            requestKeys.remove(requestKeys.keySet().iterator().next());
        }
        recheckWaiting();
    }

    private void onClientRequest(long clientId, Request r) {
        if (r.clientId() != clientId) {
            drop(DropReason.CLIENT_ID_MISMATCH);
            return;
        }
        if (r.operation().length > config.requestBytesMax()) {
            drop(DropReason.REQUEST_TOO_LARGE);
            return;
        }
        ReplyCache.Entry done = replies.get(clientId);
        if (done != null && r.requestSeq() <= done.requestSeq()) {
            resendReply(clientId, r.requestSeq(), done);
            return;
        }
        Pending p = pending.get(clientId);
        if (p != null && p.request.requestSeq() >= r.requestSeq()) {
            if (p.matches(r)) {
                // the client re-sent it: it lacks replies, so this replica answers too
                p.resent = true;
            }
            drop(p.request.requestSeq() == r.requestSeq() ? DropReason.DUPLICATE : DropReason.OLD_REQUEST);
            return;
        }
        if (p == null && pending.size() >= config.clientsMax()) {
            drop(DropReason.TOO_MANY_CLIENTS);
            return;
        }
        pending.remove(clientId);
        pending.put(clientId, new Pending(r, now));
        if (leader() == me && !inViewChange) {
            enqueueForProposal(clientId);
            tryPropose();
        } else {
            recheckWaiting();
        }
    }

    // ------------------------------------------------------------------ read-only fast path

    /**
     * A read is answered from this replica's state once it executed every seq it had sent a commit
     * for when the read arrived. Why that is never stale: a write that completed before the client
     * sent the read was executed by a correct replica, so q replicas had sent commits for its seq.
     * The client accepts k+2k'+1 matching answers; those and the q committers share at least k'+1
     * replicas, one of them correct, whose answer (equal to all the others) includes the write. A
     * recovering replica does not answer: its state is not yet the certified one.
     */
    private void onClientRead(long clientId, ReadRequest r) {
        if (r.clientId() != clientId) {
            drop(DropReason.CLIENT_ID_MISMATCH);
        } else if (r.operation().length > config.requestBytesMax()) {
            drop(DropReason.REQUEST_TOO_LARGE);
        } else if (recovering) {
            drop(DropReason.READ_WHILE_RECOVERING);
        } else if (!service.isReadOnly(r.operation())) {
            drop(DropReason.NOT_READ_ONLY);
        } else if (pendingReads.size() >= config.clientsMax()) {
            drop(DropReason.TOO_MANY_CLIENTS);
        } else {
            pendingReads.add(new PendingRead(clientId, r, readWaitSeq(), now));
            answerReads();
        }
    }

    /**
     * The seq a read arriving now waits for. Only a test's deliberately broken subclass overrides
     * this (to show that the simulator's checkers catch stale reads).
     */
    protected long readWaitSeq() {
        return highestCommitSeq;
    }

    /** Answers the reads whose seq was executed (the queue is in order of their seq too). */
    private void answerReads() {
        while (!pendingReads.isEmpty() && pendingReads.peek().waitSeq() <= lastExecuted) {
            PendingRead p = pendingReads.poll();
            ReadRequest r = p.read();
            out.replyRead(p.clientId(), new ReadReply(r.clientId(), r.readSeq(), service.executeReadOnly(r.operation())));
        }
    }

    /** A read still waiting after a request timeout is dropped: its client has gone to the ordered path. */
    private void expireReads() {
        while (!pendingReads.isEmpty() && now - pendingReads.peek().arrivedTick() > config.requestTimeoutTicks()) {
            pendingReads.poll();
            drop(DropReason.READ_EXPIRED);
        }
    }

    /**
     * The queue holds client ids in arrival order; a client that keeps replacing its pending request
     * would grow it without bound, so it is rebuilt from the pending table (at most clientsMax) when
     * it holds twice as many entries.
     */
    private void enqueueForProposal(long clientId) {
        proposalQueue.add(clientId);
        if (proposalQueue.size() > 2 * pending.size() + 16) {
            proposalQueue.clear();
            proposalQueue.addAll(pending.keySet());
        }
    }

    private void resendReply(long clientId, long requestSeq, ReplyCache.Entry done) {
        if (requestSeq == done.requestSeq()) {
            out.reply(clientId, new Reply(clientId, requestSeq, view, done.result()));
        } else {
            drop(DropReason.OLD_REQUEST);
        }
    }

    // ------------------------------------------------------------------ normal case

    private void tryPropose() {
        if (inViewChange || leader() != me || recovering) {
            return;
        }
        while (nextProposalSeq - 1 - lastExecuted < config.pipelineInstancesMax()
                && nextProposalSeq <= stableSeq() + config.logWindowSeqs()
                && !proposalQueue.isEmpty()) {
            if (nextProposalSeq - 1 > lastExecuted && proposalQueue.size() < config.busyBatchRequestsMin()) {
                // more requests come while the instance in flight runs: one bigger batch later costs
                // fewer protocol messages per request than a small one now (queue entries may be stale:
                // then the batch is smaller, never later than the next execution)
                return;
            }
            List<Request> batch = takeBatch();
            if (batch.isEmpty()) {
                return;
            }
            long seq = nextProposalSeq++;
            Batch b = Batch.of(batch);
            out.broadcast(new PrePrepare(view, seq, b.proposal()));
            accept(slot(seq), b);
        }
    }

    private List<Request> takeBatch() {
        List<Request> batch = new ArrayList<>();
        long bytes = 0;
        while (!proposalQueue.isEmpty() && batch.size() < config.batchRequestsMax()) {
            long clientId = proposalQueue.peekFirst();
            Pending p = pending.get(clientId);
            if (p == null || proposed.getOrDefault(clientId, 0L) >= p.request.requestSeq()
                    || replies.lastExecuted(clientId) >= p.request.requestSeq()) {
                proposalQueue.pollFirst();
                continue;
            }
            if (bytes + p.request.operation().length > config.batchBytesMax()) {
                break;
            }
            proposalQueue.pollFirst();
            batch.add(p.request);
            bytes += p.request.operation().length;
            proposed.put(clientId, p.request.requestSeq());
        }
        return batch;
    }

    private void onPrePrepare(int sender, PrePrepare pp) {
        if (inViewChange || pp.view() != view) {
            drop(DropReason.WRONG_VIEW);
            return;
        }
        if (sender != leader()) {
            drop(DropReason.NOT_FROM_LEADER);
            return;
        }
        if (!inWindow(pp.seq())) {
            drop(DropReason.OUTSIDE_WINDOW);
            return;
        }
        Slot slot = slot(pp.seq());
        byte[] digest = pp.batch().digest();
        if (slot.accepted(view) || (slot.waiting != null && slot.waiting.view() == view)) {
            byte[] known = slot.accepted(view) ? slot.acceptedDigest : slot.waiting.batch().digest();
            if (Arrays.equals(known, digest)) {
                drop(DropReason.DUPLICATE);
            } else {
                leaderMisbehaved(DropReason.CONFLICTING_PROPOSAL);
            }
            return;
        }
        if (!wellFormed(pp.batch())) {
            leaderMisbehaved(DropReason.INVALID_BATCH);
            return;
        }
        if (allRequestsKnown(pp.batch())) {
            accept(slot, pp.batch());
        } else {
            slot.waiting = pp;
            waitingSeqs.add(pp.seq());
        }
    }

    private void leaderMisbehaved(DropReason reason) {
        drop(reason);
        if (!recovering) {
            startViewChange(view + 1);
        }
    }

    /** A correct leader never puts two requests of one client in a batch. */
    private static boolean wellFormed(Batch batch) {
        Set<Long> clients = new HashSet<>();
        for (RequestRef r : batch.refs()) {
            if (!clients.add(r.clientId())) {
                return false;
            }
        }
        return true;
    }

    /** The client sent every request of the batch (see {@link #clientSent}), or it already ran (and will be skipped). */
    private boolean allRequestsKnown(Batch batch) {
        for (int i = 0; i < batch.size(); i++) {
            RequestRef r = batch.refs().get(i);
            if (replies.lastExecuted(r.clientId()) < r.requestSeq() && !clientSent(batch, i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether this replica knows that the client sent request i of a proposal: it received it from
     * the client itself, or the request's authenticator holds a valid entry for this replica, which
     * only the client (sharing that key with this replica alone) can make. Either way the leader
     * cannot have made the request up: "executed only if a client sent it" holds. A backup that
     * knows neither waits (the client re-sends to every replica when it gets no result), unless
     * k'+1 replicas vouch for the proposal ({@link #acceptVouchedWaiting}).
     *
     * <p>A Byzantine client may send authenticators that are valid for some replicas only. That
     * cannot make anyone execute what it did not send; at worst the proposal holding its request
     * waits at the backups whose entries are bad. If k' correct backups besides a correct leader
     * can check theirs, their prepares vouch for it and the others follow; otherwise the seq waits
     * until the client re-sends (a correct client does; a faulty one that does not is a client that
     * stalls its own seq, which the request timeouts of the correct clients' re-sent requests turn into
     * a view change, after which that request is no longer proposed unless it reaches the replicas).
     */
    private boolean clientSent(Batch batch, int i) {
        RequestRef r = batch.refs().get(i);
        Pending p = pending.get(r.clientId());
        if (p != null && p.matches(r)) {
            return true;
        }
        return batch.operation(i) != null && Authenticators.verify(requestKeys.get(ClientIds.keyOf(r.clientId())),
                batch.authenticator(i), me, r.clientId(), r.requestSeq(), r.operationDigest());
    }

    /**
     * A proposal still waiting for requests is accepted once the leader and k' backups vouch for it
     * (its pre-prepare and k' matching prepares): at most k' of these k'+1 replicas are faulty, so a
     * correct one accepted it, knowing that the clients sent its requests. Only when every operation
     * that will run is here (carried by the proposal or received): a seq accepted without them could
     * run only after fetching the batch, as the client's request may be replaced by its next one first.
     */
    private void acceptVouchedWaiting(Slot slot) {
        PrePrepare waiting = slot.waiting;
        if (waiting == null || waiting.view() != view || inViewChange
                || 1 + slot.matchingPrepares(view, waiting.batch().digest(), leader()) < config.kPrime() + 1
                || missesOperations(withPendingOperations(waiting.batch()))) {
            return;
        }
        waitingSeqs.remove(slot.seq);
        accept(slot, waiting.batch());
    }

    /** The batch with the operations we received from clients filled in (pre-prepares carry none). */
    private Batch withPendingOperations(Batch batch) {
        List<byte[]> known = new ArrayList<>(batch.size());
        for (RequestRef r : batch.refs()) {
            Pending p = pending.get(r.clientId());
            known.add(p != null && p.matches(r) ? p.request.operation() : null);
        }
        return batch.withOperations(known);
    }

    private void recheckWaiting() {
        if (waitingSeqs.isEmpty()) {
            return;
        }
        for (Long seq : new ArrayList<>(waitingSeqs)) {
            Slot slot = slots.get(seq);
            if (slot == null || slot.waiting == null || slot.waiting.view() != view || inViewChange) {
                if (slot != null) {
                    slot.waiting = null;
                }
                waitingSeqs.remove(seq);
            } else if (allRequestsKnown(slot.waiting.batch())) {
                waitingSeqs.remove(seq);
                accept(slot, slot.waiting.batch());
            }
        }
    }

    /** Accepts a proposal of the current view (leader: its own; backup: a verified pre-prepare). */
    private void accept(Slot slot, Batch proposal) {
        Batch batch = withPendingOperations(proposal);
        slot.acceptedView = view;
        slot.acceptedDigest = batch.digest();
        slot.waiting = null;
        holdAccepted(slot, batch);
        tryExecute();
    }

    /** The batch of the current view's accepted proposal is here: claim it, persist it, vote. */
    private void holdAccepted(Slot slot, Batch batch) {
        slot.keep(batch);
        slot.notePrePrepared(view, batch.digest(), config.prePreparedClaimsPerSeqMax());
        out.persist(new Output.LogEntry(view, slot.seq, batch));
        markProposed(batch);
        sendPrepare(slot);
        checkPrepared(slot);
    }

    private void sendPrepare(Slot slot) {
        Prepare own = slot.prepares[me];
        if (me != leader() && canVote() && (own == null || own.view() != view)) {
            Prepare p = new Prepare(view, slot.seq, slot.acceptedDigest);
            slot.prepares[me] = p;
            out.broadcast(p);
        }
    }

    private void onPrepare(int sender, Prepare p) {
        if (inViewChange || p.view() != view) {
            drop(DropReason.WRONG_VIEW);
            return;
        }
        if (sender == leader() || !inWindow(p.seq())) {
            drop(sender == leader() ? DropReason.UNEXPECTED : DropReason.OUTSIDE_WINDOW);
            return;
        }
        Slot slot = slot(p.seq());
        Prepare old = slot.prepares[sender];
        if (old != null && old.view() == p.view() && Arrays.equals(old.digest(), p.digest())) {
            drop(DropReason.DUPLICATE);
            return;
        }
        slot.prepares[sender] = p;
        acceptVouchedWaiting(slot);
        checkPrepared(slot);
    }

    private void checkPrepared(Slot slot) {
        if (!slot.accepted(view) || slot.preparedView == view || inViewChange
                || slot.batchFor(slot.acceptedDigest) == null) {
            return;
        }
        int matching = 1 + slot.matchingPrepares(view, slot.acceptedDigest, leader());
        if (matching < certificateQuorum()) {
            return;
        }
        slot.preparedView = view;
        slot.preparedDigest = slot.acceptedDigest;
        if (!canVote()) {
            return;
        }
        out.persist(new Output.Prepared(view, slot.seq, slot.preparedDigest));
        Commit c = new Commit(view, slot.seq, slot.preparedDigest);
        slot.commits[me] = c;
        highestCommitSeq = Math.max(highestCommitSeq, slot.seq);
        slot.ownCommitView = view;
        out.broadcast(c);
        checkDecided(slot, view, slot.preparedDigest);
    }

    private void onCommit(int sender, Commit c) {
        if (c.view() > view) {
            drop(DropReason.WRONG_VIEW);
            return;
        }
        if (!inWindow(c.seq())) {
            drop(DropReason.OUTSIDE_WINDOW);
            return;
        }
        Slot slot = slot(c.seq());
        Commit old = slot.commits[sender];
        if (old != null && (old.view() > c.view()
                || (old.view() == c.view() && Arrays.equals(old.digest(), c.digest())))) {
            drop(DropReason.DUPLICATE);
            return;
        }
        slot.commits[sender] = c;
        checkDecided(slot, c.view(), c.digest());
    }

    /**
     * q matching commits in one view decide the seq: at least q-k' correct replicas prepared it, so
     * every later view keeps it. This also lets a replica that missed the proposal catch up.
     */
    private void checkDecided(Slot slot, long commitView, byte[] digest) {
        if (slot.decided() || slot.matchingCommits(commitView, digest) < certificateQuorum()) {
            return;
        }
        slot.decidedDigest = digest;
        slot.decidedView = commitView;
        if (Arrays.equals(digest, Batch.EMPTY.digest())) {
            slot.keep(Batch.EMPTY);
        }
        if (slot.batchFor(digest) != null) {
            claimDecided(slot);
        } else {
            out.broadcast(new FetchBatch(slot.seq, digest));
        }
        tryExecute();
    }

    /**
     * A decided value whose batch we hold goes into our view-change claims (prepared and
     * pre-prepared alike): a claim without the batch could name a value nobody can hand out.
     */
    private void claimDecided(Slot slot) {
        if (slot.decidedView > slot.preparedView) {
            slot.preparedView = slot.decidedView;
            slot.preparedDigest = slot.decidedDigest;
        }
        slot.notePrePrepared(slot.decidedView, slot.decidedDigest, config.prePreparedClaimsPerSeqMax());
    }

    // ------------------------------------------------------------------ execution

    private void tryExecute() {
        boolean progressed = false;
        for (Slot s = slots.get(lastExecuted + 1); s != null && s.executable(); s = slots.get(lastExecuted + 1)) {
            Batch batch = withPendingOperations(s.batchFor(s.decidedDigest));
            s.keep(batch);
            if (missesOperations(batch)) {
                break;
            }
            execute(s, batch);
            progressed = true;
        }
        if (progressed) {
            answerReads();
            lastProgressTick = now;
            if (!inViewChange) {
                failedViewChanges = 0;
            }
            tryPropose();
            proposeEmptyForRecoveringPeer();
        }
    }

    /** Indexes of the requests of a batch that run now: not executed before, first of their client. */
    private List<Integer> toRun(Batch batch) {
        List<Integer> run = new ArrayList<>(batch.size());
        Set<Long> clients = new HashSet<>();
        for (int i = 0; i < batch.size(); i++) {
            RequestRef r = batch.refs().get(i);
            if (r.requestSeq() > replies.lastExecuted(r.clientId()) && clients.add(r.clientId())) {
                run.add(i);
            }
        }
        return run;
    }

    /**
     * A decided batch may arrive without some operations (a peer never had a request that had run
     * already when it accepted the batch); it runs only when every request that runs now is here.
     */
    private boolean missesOperations(Batch batch) {
        for (int i : toRun(batch)) {
            if (batch.operation(i) == null) {
                return true;
            }
        }
        return false;
    }

    private void execute(Slot slot, Batch batch) {
        List<Request> run = new ArrayList<>(batch.size());
        List<byte[]> operations = new ArrayList<>(batch.size());
        for (int i : toRun(batch)) {
            run.add(batch.request(i));
            operations.add(batch.operation(i));
        }
        List<byte[]> results = operations.isEmpty() ? List.of() : service.executeBatch(operations);
        if (results.size() != operations.size()) {
            throw new IllegalStateException("service returned " + results.size() + " results for "
                    + operations.size() + " operations at seq " + slot.seq);
        }
        for (int i = 0; i < run.size(); i++) {
            recordResult(run.get(i), results.get(i));
        }
        lastExecuted = slot.seq;
        chain = Digests.chain(chain, slot.seq, batch.digest());
        out.executed(new Output.Executed(slot.seq, batch.digest(), chain, run));
        if (slot.seq % config.checkpointIntervalSeqs() == 0) {
            takeCheckpoint();
        }
    }

    private void recordResult(Request r, byte[] result) {
        if (result.length > config.replyBytesMax()) {
            throw new IllegalStateException("service result of " + result.length + " bytes exceeds replyBytesMax "
                    + config.replyBytesMax() + " (client " + r.clientId() + ")");
        }
        replies.put(r.clientId(), r.requestSeq(), result);
        Pending p = pending.get(r.clientId());
        boolean resent = p != null && p.resent && p.request.requestSeq() == r.requestSeq();
        if (p != null && p.request.requestSeq() <= r.requestSeq()) {
            pending.remove(r.clientId());
        }
        proposed.remove(r.clientId());
        if (!resent && !config.answersAtOnce(me, r.clientId(), r.requestSeq())) {
            return;
        }
        if (config.digestReplies() && config.fullReplierOf(r.clientId(), r.requestSeq()) != me) {
            out.replyDigest(r.clientId(), new ReplyDigest(r.clientId(), r.requestSeq(), view, Digests.sha256(result)));
        } else {
            out.reply(r.clientId(), new Reply(r.clientId(), r.requestSeq(), view, result));
        }
    }

    // ------------------------------------------------------------------ checkpoints

    private void takeCheckpoint() {
        List<byte[]> parts = new ArrayList<>();
        parts.add(CheckpointState.encodeMeta(lastExecuted, chain, replies));
        parts.addAll(service.snapshotParts());
        StateImage previous = ownImages.isEmpty() ? stableImage : ownImages.lastEntry().getValue();
        StateImage image = StateImage.of(lastExecuted, parts, config.chunkBytesMax(), previous);
        if (image.bytes() > config.stateBytesMax() || image.manifest.chunkCount() > config.stateChunksMax()) {
            throw new IllegalStateException("checkpoint state of " + image.bytes() + " bytes in "
                    + image.manifest.chunkCount()
                    + " chunks exceeds stateBytesMax " + config.stateBytesMax() + " or stateChunksMax "
                    + config.stateChunksMax());
        }
        persistNewChunks(image, previous);
        forgetReplacedParts(parts);
        ownImages.put(lastExecuted, image);
        long epoch = signatures.epoch();
        byte[] sig = signatures.sign(MessageCodec.signedBytes(me, epoch, lastExecuted, image.root));
        Checkpoint c = new Checkpoint(me, epoch, lastExecuted, image.root, sig);
        out.broadcast(c);
        recordCheckpointVote(c);
    }

    /**
     * The image's chunks go to the store when it is taken, not when it becomes stable: its parts may
     * be replaced by the service before that, and then the store is the only place they are kept.
     * Only chunks the previous image lacked are new (the others are there already).
     */
    private void persistNewChunks(StateImage image, StateImage previous) {
        Set<ByteBuffer> stored = new HashSet<>();
        if (previous != null) {
            previous.manifest.chunkDigests().forEach(d -> stored.add(ByteBuffer.wrap(d)));
        }
        for (int i = 0; i < image.manifest.chunkCount(); i++) {
            byte[] digest = image.manifest.chunkDigests().get(i);
            if (stored.add(ByteBuffer.wrap(digest))) {
                out.persist(new Output.StateChunk(digest, image.chunkInMemory(i)));
            }
        }
    }

    /**
     * Older images let go of the parts the service no longer holds (those would be copies kept only
     * for them: under writes that touch every part, one whole state per image); they serve those
     * chunks from the store.
     */
    private void forgetReplacedParts(List<byte[]> liveParts) {
        Set<byte[]> live = identitySet(liveParts);
        if (stableImage != null) {
            stableImage.forgetPartsNotIn(live);
        }
        ownImages.values().forEach(image -> image.forgetPartsNotIn(live));
        servable.values().forEach(image -> image.forgetPartsNotIn(live));
    }

    private static Set<byte[]> identitySet(List<byte[]> arrays) {
        Set<byte[]> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(arrays);
        return set;
    }

    private void onCheckpoint(int sender, Checkpoint c) {
        if (c.replicaId() != sender) {
            drop(DropReason.NOT_FROM_REPLICA);
            return;
        }
        if (!inWindow(c.seq()) || c.seq() % config.checkpointIntervalSeqs() != 0) {
            drop(DropReason.OUTSIDE_WINDOW);
            return;
        }
        Checkpoint[] votes = checkpointVotes.get(c.seq());
        if (votes != null && votes[sender] != null && Arrays.equals(votes[sender].stateDigest(), c.stateDigest())) {
            drop(DropReason.DUPLICATE);
            return;
        }
        if (!verifyCheckpoint(c)) {
            drop(DropReason.BAD_SIGNATURE);
            return;
        }
        recordCheckpointVote(c);
    }

    private void recordCheckpointVote(Checkpoint c) {
        Checkpoint[] votes = checkpointVotes.computeIfAbsent(c.seq(), s -> new Checkpoint[config.n()]);
        votes[c.replicaId()] = c;
        List<Checkpoint> matching = new ArrayList<>();
        for (Checkpoint v : votes) {
            if (v != null && Arrays.equals(v.stateDigest(), c.stateDigest())) {
                matching.add(v);
            }
        }
        if (matching.size() >= config.quorum()) {
            onCertified(new CheckpointCertificate(c.seq(), c.stateDigest(), matching));
        }
    }

    private boolean verifyCheckpoint(Checkpoint c) {
        return signatures.verify(c.replicaId(), c.epoch(),
                MessageCodec.signedBytes(c.replicaId(), c.epoch(), c.seq(), c.stateDigest()), c.signature());
    }

    /** True iff cert is the genesis certificate or q distinct replicas validly signed its (seq, digest). */
    private boolean verifyCertificate(CheckpointCertificate cert) {
        if (cert.seq() == 0) {
            return cert.proofs().isEmpty() && Arrays.equals(cert.stateDigest(), new byte[Digests.DIGEST_BYTES]);
        }
        if (cert.seq() % config.checkpointIntervalSeqs() != 0) {
            return false;
        }
        CheckpointCertificate known = certified.get(cert.seq());
        if (known != null && Arrays.equals(known.stateDigest(), cert.stateDigest())) {
            return true;
        }
        boolean[] seen = new boolean[config.n()];
        for (Checkpoint c : cert.proofs()) {
            if (c.seq() != cert.seq() || !Arrays.equals(c.stateDigest(), cert.stateDigest())
                    || seen[c.replicaId()] || !verifyCheckpoint(c)) {
                return false;
            }
            seen[c.replicaId()] = true;
        }
        if (cert.proofs().size() < config.quorum()) {
            return false;
        }
        certified.put(cert.seq(), cert);
        return true;
    }

    private void onCertificate(CheckpointCertificate cert) {
        if (cert.seq() <= stableSeq()) {
            drop(DropReason.DUPLICATE);
            return;
        }
        if (!verifyCertificate(cert)) {
            drop(DropReason.BAD_CERTIFICATE);
            return;
        }
        onCertified(cert);
    }

    /** A verified certificate above the stable one: make it stable, or fetch its state. */
    private void onCertified(CheckpointCertificate cert) {
        if (cert.seq() <= stableSeq()) {
            return;
        }
        certified.put(cert.seq(), cert);
        recoveryCertSeq = Math.max(recoveryCertSeq, cert.seq());
        StateImage own = ownImages.get(cert.seq());
        if (own != null && Arrays.equals(own.root, cert.stateDigest())) {
            makeStable(cert, own);
        } else if (targetCert == null || targetCert.seq() < cert.seq()) {
            targetCert = cert;
            driveTransfer();
        }
    }

    /**
     * Makes a certified image our stable state. Its chunks are in the store already: written when we
     * took it, as they arrived in a transfer, or read from there at a resume.
     */
    private void makeStable(CheckpointCertificate cert, StateImage image) {
        keepServable(image);
        out.persist(new Output.StableCheckpoint(cert, image.manifest, servable.headMap(cert.seq(), false).values()
                .stream().map(older -> older.manifest).toList()));
        stableCert = cert;
        stableImage = image;
        slots.keySet().removeIf(seq -> seq <= cert.seq());
        waitingSeqs.headSet(cert.seq(), true).clear();
        ownImages.headMap(cert.seq(), true).clear();
        checkpointVotes.headMap(cert.seq(), true).clear();
        certified.headMap(cert.seq(), false).clear();
        if (targetCert != null && targetCert.seq() <= cert.seq()) {
            targetCert = null;
        }
        if (transfer.target() != null && transfer.target().seq() <= cert.seq()) {
            stopTransfer();
        }
        nextProposalSeq = Math.max(nextProposalSeq, cert.seq() + 1);
        restoreVotesOnceStable();
        checkRecovered();
        installDecidedNowInWindow();
        tryPropose();
    }

    // ------------------------------------------------------------------ state transfer, serving side

    /**
     * Adds the new stable image to what we serve. An older image stays while a peer fetched from it
     * in the last {@code 8 * statusIntervalTicks} (a peer may ask for one that was just superseded:
     * each gets {@code 2 * statusIntervalTicks} of grace), and never more than
     * {@link #SERVED_OLDER_IMAGES_MAX} of them, the least recently fetched going first (under
     * writes several checkpoints pass within one long transfer, and its target must outlive the
     * images nobody asked for): under writes that touch every part, each costs a whole state of
     * memory, or of disk once the service replaced its parts (the store keeps their chunks for it).
     */
    private void keepServable(StateImage image) {
        long seq = image.manifest.seq();
        servable.put(seq, image);
        servedTick.put(seq, now - 6L * config.statusIntervalTicks());
        long idleMax = 8L * config.statusIntervalTicks();
        servable.headMap(seq, false).keySet().removeIf(older -> now - servedTick.get(older) > idleMax);
        while (servable.size() > SERVED_OLDER_IMAGES_MAX + 1) {
            long leastRecent = servable.headMap(seq, false).keySet().stream()
                    .min(Comparator.comparingLong((Long older) -> servedTick.get(older)).thenComparing(older -> older))
                    .orElseThrow();
            servable.remove(leastRecent);
        }
        servedTick.keySet().retainAll(servable.keySet());
    }

    /** The image we serve for seq (marking it used), or null. */
    private StateImage servedImage(long seq) {
        StateImage image = servable.get(seq);
        if (image != null) {
            servedTick.put(seq, now);
        }
        return image;
    }

    /**
     * A peer wants the manifest of a checkpoint. If we no longer (or do not yet) serve it, our stable
     * certificate tells the peer where to go instead. At most one answer per peer per status interval.
     */
    private void onFetchState(int sender, FetchState f) {
        if (stableImage == null || now - lastStateServedTick[sender] < config.statusIntervalTicks()) {
            drop(DropReason.UNEXPECTED);
            return;
        }
        lastStateServedTick[sender] = now;
        StateImage image = servedImage(f.seq());
        if (image == null) {
            out.send(sender, stableCert);
            return;
        }
        out.send(sender, image.manifest);
    }

    private void onFetchChunks(int sender, FetchChunks f) {
        StateImage image = servedImage(f.seq());
        if (image == null) {
            drop(DropReason.UNEXPECTED);
            if (stableImage != null && now - lastStateServedTick[sender] >= config.statusIntervalTicks()) {
                lastStateServedTick[sender] = now;
                out.send(sender, stableCert);
            }
            return;
        }
        for (int index : f.indexes()) {
            if (index >= image.manifest.chunkCount() || serveQueue.size() >= config.n() * config.transferChunksInFlightMax()) {
                drop(DropReason.UNEXPECTED);
                continue;
            }
            serveQueue.add(new Served(sender, f.seq(), index));
        }
        serveQueued();
    }

    /**
     * Sends queued chunks while this tick's byte budget lasts: slices of the service's parts, or
     * (for an image installed from peers whose parts the service no longer shares) chunks read from
     * the store and checked. One the store lost is not sent; the peer asks another after a timeout.
     */
    private void serveQueued() {
        while (!serveQueue.isEmpty() && serveBudgetBytes > 0) {
            Served s = serveQueue.poll();
            StateImage image = servable.get(s.seq());
            byte[] chunk = image == null ? null : image.chunk(s.index(), store);
            if (chunk != null) {
                serveBudgetBytes -= chunk.length;
                out.send(s.peer(), new ChunkData(s.seq(), s.index(), image.manifest.chunkDigests().get(s.index()), chunk));
            } else {
                drop(DropReason.CHUNK_UNAVAILABLE);
            }
        }
    }

    // ------------------------------------------------------------------ state transfer, fetching side

    /**
     * Starts or redirects the transfer: when we are stuck behind a certificate, and when a transfer
     * whose target peers stopped serving (no progress for a while) can aim at a newer one.
     */
    private void driveTransfer() {
        CheckpointCertificate current = transfer.target();
        if (current != null && current.seq() <= lastExecuted) {
            stopTransfer();
            current = null;
        }
        if (installing != null) {
            return;
        }
        if (targetCert == null || targetCert.seq() <= lastExecuted) {
            return;
        }
        if (current == null) {
            // a replica that executes may reach the certificate by the log; one that cannot (no peer
            // keeps batches that far back) starts at once
            if (now - lastProgressTick >= config.statusIntervalTicks()
                    || targetCert.seq() > lastExecuted + config.logWindowSeqs()) {
                transfer.retarget(targetCert, stableImage, now);
            }
        } else if (current.seq() < targetCert.seq() && transfer.idleTicks(now)
                > (transfer.hasManifest() ? 4L : 2L) * config.statusIntervalTicks()) {
            // only a transfer that stalled moves on: under writes a newer certificate comes every
            // checkpoint, and chasing each would never finish; the peers keep serving our target
            transfer.retarget(targetCert, stableImage, now);
        }
    }

    /**
     * Each tick: the transfer's own work; and while a recovering replica knows no certificate to aim
     * at, a status to every peer each {@link #LEARNING_STATUS_INTERVAL_TICKS}. A peer answers a status
     * from a replica behind it with its stable certificate ({@link #sendCheckpointProof}), so the
     * certificate comes one round trip after the links come up, not up to a status interval later.
     */
    private void transferTick() {
        if (recovering && targetCert == null && transfer.target() == null
                && now % LEARNING_STATUS_INTERVAL_TICKS == 0 && now % config.statusIntervalTicks() != 0) {
            out.broadcast(new Status(view, inViewChange, lastExecuted, stableSeq(), true));
        }
        transfer.onTick(now, out);
    }

    /**
     * What our status says as "recovering": we wait for checkpoints, and the leader then proposes
     * empty batches to bring them soon. Not while a transfer runs: those batches cannot help it,
     * and their messages (a few thousand a second, with signed checkpoint votes) took most of a
     * recovering replica's turn, slowing a 100 MB transfer to 16-25 MB/s against 55-70 MB/s under
     * client load.
     */
    private boolean waitsForCheckpoints() {
        return recovering && transfer.target() == null;
    }

    private void onManifest(int sender, StateManifest m) {
        if (!transfer.onManifest(sender, m, now)) {
            drop(transfer.badPeers().contains(sender) ? DropReason.BAD_STATE : DropReason.UNEXPECTED);
            return;
        }
        transfer.onTick(now, out);
    }

    private void onHashedChunk(Input.HashedChunk hc) {
        if (hc.sender() < 0 || hc.sender() >= config.n() || hc.sender() == me) {
            drop(DropReason.NOT_FROM_REPLICA);
            return;
        }
        onChunk(hc.sender(), hc.chunk(), hc.bytesDigest());
    }

    /** A chunk whose bytes hash to {@code bytesDigest}. */
    private void onChunk(int sender, ChunkData c, byte[] bytesDigest) {
        StateTransfer.ChunkResult result = transfer.onChunk(sender, c, bytesDigest, now, out);
        if (result == StateTransfer.ChunkResult.BAD) {
            drop(DropReason.BAD_STATE);
        } else if (result == StateTransfer.ChunkResult.SPOILED) {
            drop(DropReason.CHUNK_SPOILED);
        } else if (result == StateTransfer.ChunkResult.UNEXPECTED) {
            drop(DropReason.UNEXPECTED);
        }
    }

    /**
     * Once every chunk is held, installs the state from the store, part by part, at most
     * verifyBytesPerTickMax bytes read per tick (the last chunks are in the store from the step after
     * they arrived). The service's state changes only when the last part is in.
     */
    private void installIfComplete() {
        StateManifest manifest = transfer.complete();
        if (manifest == null) {
            return;
        }
        if (installing == null) {
            installing = new ImageInstall(manifest, store, transfer.checkedInStore(), localImages(), config, service);
        }
        ImageInstall.Result result = installing.step(config.verifyBytesPerTickMax());
        if (result == ImageInstall.Result.MORE) {
            return;
        }
        ImageInstall done = installing;
        installing = null;
        if (result == ImageInstall.Result.MISSING_CHUNK) {
            transfer.recheck();
            return;
        }
        CheckpointCertificate cert = transfer.target();
        transfer.clear();
        if (result == ImageInstall.Result.BAD_STATE) {
            drop(DropReason.BAD_STATE);
            return;
        }
        installImage(cert, done);
    }

    /** Our latest own image (its parts are the service's current arrays) and the stable one. */
    private List<StateImage> localImages() {
        List<StateImage> locals = new ArrayList<>(2);
        if (!ownImages.isEmpty()) {
            locals.add(ownImages.lastEntry().getValue());
        }
        if (stableImage != null) {
            locals.add(stableImage);
        }
        return locals;
    }

    /** The transfer is over or overtaken: an install under way is dropped, the state unchanged. */
    private void stopTransfer() {
        if (installing != null) {
            installing.abort();
            installing = null;
        }
        transfer.clear();
    }

    /** Makes an installed state (its chunks match a verified certificate's manifest) the stable one. */
    private void installImage(CheckpointCertificate cert, ImageInstall done) {
        if (cert.seq() <= lastExecuted) {
            drop(DropReason.DUPLICATE);
            return;
        }
        adopt(cert, done);
        lastProgressTick = now;
        installedByTransfer = true;
        StateImage image = done.image();
        // a service may keep its own equal array instead of the one it was given (the KV does, for
        // parts it already held): the image must not be the last holder of the given one
        image.forgetPartsNotIn(identitySet(service.snapshotParts()));
        makeStable(cert, image);
        tryExecute();
    }

    // ------------------------------------------------------------------ resume from a trusted log

    /**
     * Reinstalls the stable checkpoint from the store and returns to the view and the votes of the
     * log; when the stored chunks do not make the certified state, recovers instead.
     */
    private void resume(Start.Resume r) {
        if (r.stable().seq() > 0) {
            if (!restoreStored(r.stable(), r.manifest())) {
                recovering = true;
                votesToRestore = r;
                return;
            }
        }
        restoreVotes(r);
    }

    /**
     * Returns to the log's view and votes. Entries at or below the stable checkpoint are dropped:
     * the certified state covers them. The log holds every vote ever sent (persist before send) and
     * none above its stable checkpoint plus the window, so with a stable checkpoint at or above the
     * log's none is lost.
     */
    private void restoreVotes(Start.Resume r) {
        assert stableSeq() >= r.stable().seq();
        if (r.view() > view) {
            view = r.view();
            inViewChange = r.inViewChange();
        }
        for (Output.LogEntry e : r.accepted()) {
            restoreAccepted(e);
        }
        for (Output.Prepared p : r.prepared()) {
            restorePrepared(p);
        }
        if (inViewChange) {
            latestViewChange[me] = signedViewChange();
        }
    }

    /**
     * A resume that lacked its state votes again as soon as its stable checkpoint reaches the log's:
     * from then on it is the replica that restarted from an intact disk, later.
     */
    private void restoreVotesOnceStable() {
        if (votesToRestore != null && recovering && stableSeq() >= votesToRestore.stable().seq()) {
            Start.Resume r = votesToRestore;
            votesToRestore = null;
            recovering = false;
            restoreVotes(r);
        }
    }

    /**
     * Installs the stable checkpoint from the store at boot, part by part (the whole install in this
     * one step: nothing else waits on it yet); false, the state unchanged, when the stored chunks do
     * not make the certified state.
     */
    private boolean restoreStored(CheckpointCertificate cert, StateManifest manifest) {
        if (manifest == null || manifest.seq() != cert.seq() || !Arrays.equals(manifest.root(), cert.stateDigest())) {
            return false;
        }
        ImageInstall install = new ImageInstall(manifest, store, Set.of(), List.of(), config, service);
        if (install.step(Long.MAX_VALUE) != ImageInstall.Result.DONE) {
            return false;
        }
        adopt(cert, install);
        StateImage image = install.image();
        stableCert = cert;
        stableImage = image;
        keepServable(image);
        certified.put(cert.seq(), cert);
        nextProposalSeq = cert.seq() + 1;
        return true;
    }

    /** The metadata of an installed state: we are at its seq, with its hash chain and reply cache. */
    private void adopt(CheckpointCertificate cert, ImageInstall done) {
        replies = done.meta().replies();
        chain = done.meta().chain();
        lastExecuted = cert.seq();
    }

    /** We accepted this proposal (and, as a backup, sent a prepare for it) before the restart. */
    private void restoreAccepted(Output.LogEntry e) {
        if (!inWindow(e.seq())) {
            return;
        }
        Slot slot = slot(e.seq());
        byte[] digest = e.batch().digest();
        slot.keep(e.batch());
        slot.notePrePrepared(e.view(), digest, config.prePreparedClaimsPerSeqMax());
        if (e.view() == view && !slot.accepted(view)) {
            slot.acceptedView = view;
            slot.acceptedDigest = digest;
            if (me != leader()) {
                slot.prepares[me] = new Prepare(view, e.seq(), digest);
            } else {
                nextProposalSeq = Math.max(nextProposalSeq, e.seq() + 1);
            }
        }
    }

    /** We held a prepared certificate (and sent a commit) for this value before the restart. */
    private void restorePrepared(Output.Prepared p) {
        if (!inWindow(p.seq())) {
            return;
        }
        Slot slot = slot(p.seq());
        if (p.view() > slot.preparedView) {
            slot.preparedView = p.view();
            slot.preparedDigest = p.digest();
        }
        highestCommitSeq = Math.max(highestCommitSeq, p.seq());
        if (p.view() == view) {
            slot.commits[me] = new Commit(view, p.seq(), p.digest());
            slot.ownCommitView = view;
        }
    }

    // ------------------------------------------------------------------ view change

    private void startViewChange(long newView) {
        if (newView <= view || recovering) {
            return;
        }
        view = newView;
        inViewChange = true;
        viewChangeStartTick = now;
        currentNewView = null;
        currentDecision = null;
        proposed.clear();
        proposalQueue.clear();
        forwards.clear();
        out.persist(new Output.ViewEntry(view, true));
        ViewChange vc = signedViewChange();
        latestViewChange[me] = vc;
        out.broadcast(vc);
        if (leader() == me) {
            tryNewView();
        }
    }

    private void onStepDown() {
        if (leader() == me && !inViewChange && !recovering) {
            startViewChange(view + 1);
        }
    }

    private ViewChange signedViewChange() {
        List<SlotClaim> prepared = new ArrayList<>();
        List<SlotClaim> prePrepared = new ArrayList<>();
        for (long seq = stableSeq() + 1; seq <= stableSeq() + config.logWindowSeqs(); seq++) {
            Slot s = slots.get(seq);
            if (s == null) {
                continue;
            }
            if (s.preparedView >= 0) {
                prepared.add(new SlotClaim(seq, s.preparedView, s.preparedDigest));
            }
            prePrepared.addAll(s.prePrepared);
        }
        long epoch = signatures.epoch();
        ViewChange unsigned = new ViewChange(me, epoch, view, stableCert, prepared, prePrepared, new byte[0]);
        byte[] sig = signatures.sign(MessageCodec.signedBytes(unsigned));
        return new ViewChange(me, epoch, view, stableCert, prepared, prePrepared, sig);
    }

    private void onViewChange(int sender, ViewChange vc) {
        if (vc.replicaId() != sender) {
            drop(DropReason.NOT_FROM_REPLICA);
            return;
        }
        if (vc.newView() < view || (vc.newView() == view && !inViewChange)) {
            if (vc.newView() == view && currentNewView != null) {
                out.send(sender, currentNewView);
            }
            drop(DropReason.WRONG_VIEW);
            return;
        }
        ViewChange old = latestViewChange[sender];
        if (old != null && old.newView() >= vc.newView()) {
            drop(DropReason.DUPLICATE);
            return;
        }
        if (!validViewChange(vc)) {
            drop(DropReason.BAD_VIEW_CHANGE);
            return;
        }
        latestViewChange[sender] = vc;
        if (!inViewChange && sender == leader() && vc.newView() == view + 1) {
            // the leader itself asks to leave (it hands over before its rejuvenation): its own signed
            // view change is proof enough, and a Byzantine leader gains nothing it lacked (it can
            // always stop leading by going silent)
            startViewChange(view + 1);
        }
        joinViewChange();
        if (inViewChange && leader() == me && vc.newView() == view) {
            tryNewView();
        }
    }

    /** k'+1 replicas want a higher view: at least one correct one does, so join the lowest. */
    private void joinViewChange() {
        int higher = 0;
        long lowest = Long.MAX_VALUE;
        for (ViewChange v : latestViewChange) {
            if (v != null && v.replicaId() != me && v.newView() > view) {
                higher++;
                lowest = Math.min(lowest, v.newView());
            }
        }
        if (higher >= config.kPrime() + 1) {
            startViewChange(lowest);
        }
    }

    private boolean validViewChange(ViewChange vc) {
        long low = vc.stable().seq();
        long high = low + config.logWindowSeqs();
        Set<Long> preparedSeqs = new HashSet<>();
        for (SlotClaim c : vc.prepared()) {
            if (c.seq() <= low || c.seq() > high || c.view() >= vc.newView() || !preparedSeqs.add(c.seq())) {
                return false;
            }
        }
        Map<Long, Integer> perSeq = new HashMap<>();
        for (SlotClaim c : vc.prePrepared()) {
            if (c.seq() <= low || c.seq() > high || c.view() >= vc.newView()
                    || perSeq.merge(c.seq(), 1, Integer::sum) > config.prePreparedClaimsPerSeqMax()) {
                return false;
            }
        }
        return verifyCertificate(vc.stable())
                && signatures.verify(vc.replicaId(), vc.epoch(), MessageCodec.signedBytes(vc), vc.signature());
    }

    private void tryNewView() {
        List<ViewChange> s = new ArrayList<>();
        for (ViewChange vc : latestViewChange) {
            if (vc != null && vc.newView() == view) {
                s.add(vc);
            }
        }
        Decision decision = NewViewDecision.decide(config, s);
        if (decision == null) {
            return;
        }
        long epoch = signatures.epoch();
        NewView unsigned = new NewView(me, epoch, view, s, new byte[0]);
        NewView nv = new NewView(me, epoch, view, s, signatures.sign(MessageCodec.signedBytes(unsigned)));
        out.broadcast(nv);
        enterNewView(nv, decision);
    }

    private void onNewView(NewView nv) {
        if (nv.view() < view || (nv.view() == view && !inViewChange)) {
            drop(DropReason.DUPLICATE);
            return;
        }
        Decision decision = validNewView(nv) ? NewViewDecision.decide(config, nv.viewChanges()) : null;
        if (decision == null) {
            drop(DropReason.BAD_NEW_VIEW);
            return;
        }
        enterNewView(nv, decision);
    }

    private boolean validNewView(NewView nv) {
        if (nv.replicaId() != config.leaderOf(nv.view())) {
            return false;
        }
        boolean[] seen = new boolean[config.n()];
        for (ViewChange vc : nv.viewChanges()) {
            if (vc.newView() != nv.view() || seen[vc.replicaId()]) {
                return false;
            }
            seen[vc.replicaId()] = true;
        }
        if (!signatures.verify(nv.replicaId(), nv.epoch(), MessageCodec.signedBytes(nv), nv.signature())) {
            return false;
        }
        for (ViewChange vc : nv.viewChanges()) {
            if (!validViewChange(vc)) {
                return false;
            }
        }
        return true;
    }

    private void enterNewView(NewView nv, Decision decision) {
        view = nv.view();
        inViewChange = false;
        currentNewView = nv;
        currentDecision = decision;
        viewChangeStartTick = now;
        lastProgressTick = now;
        proposed.clear();
        proposalQueue.clear();
        out.persist(new Output.ViewEntry(view, false));
        if (decision.base().seq() > stableSeq()) {
            onCertified(decision.base());
        }
        for (Pending p : pending.values()) {
            p.receivedTick = now;
            p.forwarded = false;
        }
        for (Decided d : decision.slots()) {
            installDecided(d);
        }
        nextProposalSeq = Math.max(decision.maxSeq(), stableSeq()) + 1;
        if (leader() == me) {
            proposalQueue.addAll(pending.keySet());
            tryPropose();
        }
        tryExecute();
    }

    /** After a state transfer the new view's slots above the old window become ours to prepare. */
    private void installDecidedNowInWindow() {
        if (inViewChange || currentDecision == null || currentNewView == null || currentNewView.view() != view) {
            return;
        }
        for (Decided d : currentDecision.slots()) {
            Slot slot = slots.get(d.seq());
            if (inWindow(d.seq()) && (slot == null || !slot.accepted(view))) {
                installDecided(d);
            }
        }
    }

    private void installDecided(Decided d) {
        if (!inWindow(d.seq())) {
            return;
        }
        Slot slot = slot(d.seq());
        slot.acceptedView = view;
        slot.acceptedDigest = d.digest();
        slot.waiting = null;
        if (d.isNull()) {
            slot.keep(Batch.EMPTY);
        }
        Batch batch = slot.batchFor(d.digest());
        if (batch != null) {
            holdAccepted(slot, batch);
        } else {
            out.broadcast(new FetchBatch(d.seq(), d.digest()));
        }
    }

    private void markProposed(Batch batch) {
        if (leader() == me) {
            for (RequestRef r : batch.refs()) {
                proposed.merge(r.clientId(), r.requestSeq(), Math::max);
            }
        }
    }

    private void onFetchBatch(int sender, FetchBatch f) {
        Slot slot = slots.get(f.seq());
        Batch batch = slot == null ? null : slot.batchFor(f.digest());
        if (batch == null) {
            drop(DropReason.UNEXPECTED);
            return;
        }
        out.send(sender, new BatchData(f.seq(), batch));
    }

    private void onBatchData(BatchData b) {
        Slot slot = slots.get(b.seq());
        if (slot != null && slot.batchFor(b.batch().digest()) != null) {
            slot.keep(b.batch());
            tryExecute();
            return;
        }
        byte[] needed = slot == null ? null : neededDigest(slot);
        if (needed == null || !Arrays.equals(needed, b.batch().digest())) {
            drop(DropReason.UNEXPECTED);
            return;
        }
        if (slot.decided() && Arrays.equals(needed, slot.decidedDigest)) {
            slot.keep(b.batch());
            claimDecided(slot);
            out.persist(new Output.LogEntry(slot.decidedView, slot.seq, b.batch()));
        }
        if (slot.accepted(view) && Arrays.equals(needed, slot.acceptedDigest)) {
            holdAccepted(slot, b.batch());
        }
        tryExecute();
    }

    /** The digest of the batch this slot still misses, or null. */
    private byte[] neededDigest(Slot slot) {
        byte[] want = slot.decided() ? slot.decidedDigest : (slot.accepted(view) ? slot.acceptedDigest : null);
        return want == null || slot.batchFor(want) != null ? null : want;
    }

    // ------------------------------------------------------------------ time and retransmission

    private void onTick() {
        now++;
        if (inViewChange) {
            long timeout = (long) config.viewChangeTimeoutTicks() << Math.min(failedViewChanges, 6);
            if (viewChangeSupport() < config.quorum()) {
                // as in PBFT, the timer runs only once q replicas want this view or a later one:
                // a replica alone must not run ahead through views the others never join
                viewChangeStartTick = now;
            } else if (now - viewChangeStartTick > timeout) {
                failedViewChanges++;
                startViewChange(view + 1);
            }
        } else if (!recovering && !catchingUp() && (requestTimedOut() || recoveringPeerStarved())) {
            startViewChange(view + 1);
        }
        if (now % config.statusIntervalTicks() == 0) {
            periodic();
        }
        expireReads();
        answerReads();
        serveBudgetBytes = Math.min(serveBudgetBytes + config.serveBytesPerTickMax(), config.serveBytesPerTickMax());
        serveQueued();
        transferTick();
        installIfComplete();
        emptyFillBudget = EMPTY_FILL_SEQS_PER_TICK_MAX;
        proposeEmptyForRecoveringPeer();
    }

    /**
     * A recovering peer votes again only after two more checkpoints. While one recovers, the leader
     * fills what room its pipeline has after the clients' batches with empty ones, at each tick and
     * as batches execute, so that those checkpoints come soon even when clients write little or
     * nothing. A peer that lies about recovering costs at most {@link #EMPTY_FILL_SEQS_PER_TICK_MAX}
     * seqs a tick.
     */
    private void proposeEmptyForRecoveringPeer() {
        if (inViewChange || leader() != me || recovering || !aPeerRecovers()) {
            return;
        }
        tryPropose();
        int inFlightMax = pending.isEmpty()
                ? Math.max(EMPTY_FILL_SEQS_IN_FLIGHT_MAX, config.pipelineInstancesMax()) : config.pipelineInstancesMax();
        while (emptyFillBudget > 0 && nextProposalSeq - 1 - lastExecuted < inFlightMax
                && nextProposalSeq <= stableSeq() + config.logWindowSeqs()) {
            emptyFillBudget--;
            long seq = nextProposalSeq++;
            out.broadcast(new PrePrepare(view, seq, Batch.EMPTY));
            accept(slot(seq), Batch.EMPTY);
        }
    }

    private boolean aPeerRecovers() {
        for (long until : peerRecoveringUntilTick) {
            if (until > now) {
                return true;
            }
        }
        return false;
    }

    /** A peer waits for checkpoints to recover and the leader orders nothing: as if a request timed out. */
    private boolean recoveringPeerStarved() {
        return aPeerRecovers() && now - lastProgressTick > config.requestTimeoutTicks();
    }

    /**
     * True while k'+1 peers (one correct at least) report having executed more than we have and we
     * do catch up (we executed, or a transfer brought chunks, within a request timeout): the cluster
     * makes progress and we are behind (just restarted, say), so a request that waits here is our
     * delay, not the leader's fault, and suspecting the leader would send us alone into a view
     * nobody else joins. A replica that stays behind without progress does suspect: the peers ahead
     * may be one Byzantine replica and one that went into a view change alone, and then only the
     * view change can bring the seqs we lack (found by the simulator, seed 713983646739234811).
     */
    private boolean catchingUp() {
        int ahead = 0;
        for (int peer = 0; peer < config.n(); peer++) {
            if (peer != me && peerLastExecuted[peer] > lastExecuted) {
                ahead++;
            }
        }
        boolean progressing = now - lastProgressTick <= config.requestTimeoutTicks()
                || (transfer.target() != null && transfer.idleTicks(now) <= config.requestTimeoutTicks());
        return ahead >= config.kPrime() + 1 && progressing;
    }

    /** Replicas (us included) whose latest view change is for our view or a later one. */
    private int viewChangeSupport() {
        int support = 0;
        for (ViewChange vc : latestViewChange) {
            if (vc != null && vc.newView() >= view) {
                support++;
            }
        }
        return support;
    }

    /**
     * True when a request waited a full timeout. At half the timeout a backup forwards it to the
     * leader once: a client that skips the leader then costs no view change.
     */
    private boolean requestTimedOut() {
        for (Pending p : pending.values()) {
            long age = now - p.receivedTick;
            if (replies.lastExecuted(p.request.clientId()) >= p.request.requestSeq()) {
                continue;
            }
            if (age > config.requestTimeoutTicks()) {
                return true;
            }
            if (age > config.requestTimeoutTicks() / 2 && !p.forwarded && leader() != me) {
                p.forwarded = true;
                out.send(leader(), p.request);
            }
        }
        return false;
    }

    /**
     * The leader proposes a request it did not get from the client itself once k'+1 replicas
     * forwarded the same bytes: at least one correct replica got them from the client.
     */
    private void onForwardedRequest(int sender, Request r) {
        if (leader() != me || inViewChange || replies.lastExecuted(r.clientId()) >= r.requestSeq()
                || pending.containsKey(r.clientId()) && pending.get(r.clientId()).request.requestSeq() >= r.requestSeq()) {
            drop(DropReason.UNEXPECTED);
            return;
        }
        if (!forwards.containsKey(r.clientId()) && forwards.size() >= config.clientsMax()) {
            drop(DropReason.TOO_MANY_CLIENTS);
            return;
        }
        Request[] bySender = forwards.computeIfAbsent(r.clientId(), c -> new Request[config.n()]);
        bySender[sender] = r;
        int vouchers = 0;
        for (Request other : bySender) {
            if (r.sameAs(other)) {
                vouchers++;
            }
        }
        if (vouchers >= config.kPrime() + 1) {
            forwards.remove(r.clientId());
            onClientRequest(r.clientId(), r);
        }
    }

    private void periodic() {
        out.broadcast(new Status(view, inViewChange, lastExecuted, stableSeq(), waitsForCheckpoints()));
        if (inViewChange && latestViewChange[me] != null && latestViewChange[me].newView() == view) {
            out.broadcast(latestViewChange[me]);
        }
        for (long seq = stableSeq() + 1; seq <= stableSeq() + config.logWindowSeqs(); seq++) {
            Slot slot = slots.get(seq);
            byte[] needed = slot == null ? null : neededDigest(slot);
            if (needed != null) {
                out.broadcast(new FetchBatch(seq, needed));
            }
        }
        Slot next = slots.get(lastExecuted + 1);
        if (next != null && next.executable() && missesOperations(withPendingOperations(next.batchFor(next.decidedDigest)))) {
            out.broadcast(new FetchBatch(next.seq, next.decidedDigest));
        }
        driveTransfer();
    }

    private void onStatus(int sender, Status s) {
        // only a peer that has our stable state waits for checkpoints: one still learning or
        // fetching gains nothing from them (they would move its target)
        boolean waitsForCheckpoints = s.recovering() && s.lastExecutedSeq() >= stableSeq();
        peerRecoveringUntilTick[sender] = waitsForCheckpoints ? now + 4L * config.statusIntervalTicks() : 0;
        if (recovering) {
            noteRecoveryReport(sender, s.lastExecutedSeq());
        }
        sendCheckpointProof(sender, s.stableSeq());
        if (currentNewView != null && !inViewChange
                && (s.view() < view || (s.view() == view && s.inViewChange()))) {
            out.send(sender, currentNewView);
        }
        boolean stuck = s.lastExecutedSeq() == peerLastExecuted[sender];
        peerLastExecuted[sender] = s.lastExecutedSeq();
        if (stuck && !inViewChange && s.view() == view && !s.inViewChange()) {
            retransmit(sender, s.lastExecutedSeq());
        }
    }

    /**
     * Checkpoint messages are not retransmitted otherwise: a peer whose stable checkpoint is older
     * than ours gets our certificate, one we could not use ourselves yet (we lack its state, the
     * peer may not), and our own votes above its stable checkpoint.
     */
    private void sendCheckpointProof(int to, long peerStable) {
        if (stableSeq() > peerStable) {
            out.send(to, stableCert);
        }
        if (targetCert != null && targetCert.seq() > Math.max(peerStable, stableSeq())) {
            out.send(to, targetCert);
        }
        for (Checkpoint[] votes : checkpointVotes.tailMap(peerStable, false).values()) {
            if (votes[me] != null) {
                out.send(to, votes[me]);
            }
        }
    }

    /** Our own messages for the seqs a stuck peer misses (MAC-only messages cannot be relayed). */
    private void retransmit(int to, long peerExecuted) {
        for (long seq = peerExecuted + 1; seq <= peerExecuted + config.retransmitSeqsMax(); seq++) {
            Slot slot = slots.get(seq);
            if (slot == null) {
                continue;
            }
            Batch accepted = slot.accepted(view) ? slot.batchFor(slot.acceptedDigest) : null;
            if (accepted != null && me == leader()) {
                out.send(to, new PrePrepare(view, seq, accepted));
            } else if (slot.accepted(view) && slot.prepares[me] != null && slot.prepares[me].view() == view) {
                out.send(to, slot.prepares[me]);
            }
            if (slot.commits[me] != null) {
                out.send(to, slot.commits[me]);
            }
        }
    }

    // ------------------------------------------------------------------ recovery

    private void noteRecoveryReport(int sender, long peerExecuted) {
        recoveryReports[sender] = Math.max(recoveryReports[sender], peerExecuted);
        if (recoveryPoint >= 0) {
            return;
        }
        long[] reported = Arrays.stream(recoveryReports).filter(r -> r >= 0).sorted().toArray();
        if (reported.length < config.quorum()) {
            return;
        }
        // the (k'+1)-th highest report: at least one correct replica executed that far
        long executedByCorrect = reported[reported.length - 1 - config.kPrime()];
        recoveryPoint = Math.max(executedByCorrect, recoveryCertSeq) + config.logWindowSeqs();
        checkRecovered();
    }

    private void checkRecovered() {
        if (recovering && recoveryPoint >= 0 && stableSeq() >= recoveryPoint) {
            recovering = false;
            votesToRestore = null;
        }
    }
}
