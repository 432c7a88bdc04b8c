package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Authenticators;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.ReadRequest;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;

import java.util.Arrays;

/**
 * The pure client side: one outstanding request at a time, sent to the replica it believes leads
 * ({@link #leader}) with an authenticator for every replica ({@link Authenticators}), accepted once
 * k'+1 distinct replicas vouch for the same result (a full {@link Reply} or, with digest replies,
 * a {@link ReplyDigest} of it) and the full result is here; re-sent to every replica when no
 * result came in {@code retransmitTicks}, or at once when k'+1 digests agree but the one full
 * result is missing (replicas answer a re-sent request with full results). The real client
 * (client package) and the simulator both drive it.
 *
 * <p>The leader it believes in is that of the highest view that k'+1 replicas reported in the
 * replies to one request: at least one of them is correct, so a faulty replica can neither send the
 * client to a made-up view nor keep it at an old one. A wrong guess costs one retransmission period.
 *
 * <p>A read-only operation may first take the fast path ({@link #submitRead}): every replica
 * answers from its own state, unordered, and the client accepts {@link ProtocolConfig#readQuorum}
 * identical answers. When they do not come within {@code retransmitTicks} (writes to the same data
 * in flight, replicas down), or can no longer agree, the operation goes the ordered way as a
 * {@link Request}, so a read costs at worst one retransmission period more than an ordered one.
 */
public final class ClientCore {
    /** Ticks to wait for the one full result once k'+1 digests agree (it is usually in flight). */
    private static final int FULL_RESULT_GRACE_TICKS = 2;

    private final ProtocolConfig config;
    private final long clientId;
    private final int retransmitTicks;
    /** Per replica: the key for its authenticator entry, null until a session with it exists (the shell fills them in). */
    private final Authenticators.Key[] requestKeys;
    /** The view whose leader gets new requests. */
    private long leaderView;
    /** Per replica: the view in its reply to the request in flight (-1: none yet). */
    private long[] replyViews;
    private long nextSeq;
    private long nextReadSeq = 1;
    private Request outstanding;
    /** The read in flight on the fast path (then outstanding is null), or null. */
    private ReadRequest outstandingRead;
    /** Per replica: its first answer to the read in flight. */
    private byte[][] readAnswers;
    private boolean readCannotAgree;
    /** Per replica: the digest of the result it vouched for (null: none yet). */
    private byte[][] vouched;
    /** Full results received, at most one per replica, and their digests. */
    private byte[][] fullResults;
    private byte[][] fullDigests;
    private int ticksSinceSend;
    /** Ticks since k'+1 digests agreed without a full result; -1 while that is not the case. */
    private int ticksFullResultMissing = -1;

    /**
     * @param firstRequestSeq must be above every sequence number this client id ever used
     *        (replicas drop requests at or below the last one they executed for the client)
     */
    public ClientCore(ProtocolConfig config, long clientId, long firstRequestSeq, int retransmitTicks,
                      Authenticators.Key[] requestKeys) {
        if (firstRequestSeq < 1 || retransmitTicks < 1) {
            throw new IllegalArgumentException("firstRequestSeq and retransmitTicks must be >= 1");
        }
        if (requestKeys.length != config.n()) {
            throw new IllegalArgumentException(requestKeys.length + " request keys for " + config.n() + " replicas");
        }
        this.config = config;
        this.requestKeys = requestKeys;
        this.clientId = clientId;
        this.nextSeq = firstRequestSeq;
        this.retransmitTicks = retransmitTicks;
    }

    public long clientId() {
        return clientId;
    }

    public boolean busy() {
        return outstanding != null || outstandingRead != null;
    }

    /** The ordered request in flight, or null (none, or a read on the fast path). */
    public Request outstanding() {
        return outstanding;
    }

    /** The read in flight on the fast path, or null. */
    public ReadRequest outstandingRead() {
        return outstandingRead;
    }

    /** {@link #target()} for "every replica". */
    public static final int ALL = -1;

    /**
     * Where the request just submitted goes: the leader (core index) when it carries an
     * authenticator (see {@link #leaderOnly}), else every replica.
     */
    public int target() {
        return outstanding != null && outstanding.authenticator().length > 0 ? config.leaderOf(leaderView) : ALL;
    }

    /**
     * A request goes to the leader only, with an authenticator, when its operation is small
     * ({@link ProtocolConfig#leaderOnlyRequestBytesMax}) and the client holds keys for at least q-1
     * replicas besides the leader, so that enough backups can check it from the leader's proposal;
     * otherwise (a large operation; sessions still being set up right after the client started) it
     * goes to every replica.
     */
    private boolean leaderOnly(byte[] operation) {
        if (operation.length > config.leaderOnlyRequestBytesMax()) {
            return false;
        }
        int leader = config.leaderOf(leaderView);
        int others = 0;
        for (int i = 0; i < requestKeys.length; i++) {
            others += i != leader && requestKeys[i] != null ? 1 : 0;
        }
        return others >= config.quorum() - 1;
    }

    /** Starts a request; the caller sends the returned request to {@link #target()}. */
    public Request submit(byte[] operation) {
        requireIdle(operation);
        return order(operation);
    }

    /**
     * Starts a read-only operation on the fast path; the caller sends the returned read to every
     * replica. Only for operations the service treats as read-only: replicas ignore others, and
     * the read then goes the ordered way after {@code retransmitTicks}.
     */
    public ReadRequest submitRead(byte[] operation) {
        requireIdle(operation);
        outstandingRead = new ReadRequest(clientId, nextReadSeq++, operation);
        readAnswers = new byte[config.n()][];
        readCannotAgree = false;
        ticksSinceSend = 0;
        return outstandingRead;
    }

    private void requireIdle(byte[] operation) {
        if (busy()) {
            throw new IllegalStateException("client " + clientId + " already has an operation in flight");
        }
        if (operation.length > config.requestBytesMax()) {
            throw new IllegalArgumentException("operation of " + operation.length + " bytes exceeds requestBytesMax " + config.requestBytesMax());
        }
    }

    private Request order(byte[] operation) {
        long seq = nextSeq++;
        outstanding = new Request(clientId, seq, operation, leaderOnly(operation)
                ? Authenticators.make(requestKeys, clientId, seq, Digests.sha256(operation)) : Authenticators.NONE);
        replyViews = new long[config.n()];
        Arrays.fill(replyViews, -1);
        vouched = new byte[config.n()][];
        fullResults = new byte[config.n()][];
        fullDigests = new byte[config.n()][];
        ticksSinceSend = 0;
        ticksFullResultMissing = -1;
        return outstanding;
    }

    /**
     * Records a full reply from replica {@code replicaId} (authenticated by the transport).
     *
     * @return the result once it is complete, else null
     */
    public byte[] onReply(int replicaId, Reply reply) {
        if (!current(replicaId, reply.clientId(), reply.requestSeq())) {
            return null;
        }
        byte[] digest = Digests.sha256(reply.result());
        replyViews[replicaId] = reply.view();
        vouched[replicaId] = digest;
        fullResults[replicaId] = reply.result();
        fullDigests[replicaId] = digest;
        return complete(digest);
    }

    /** Records a digest-only reply; returns the result once it is complete, else null. */
    public byte[] onReplyDigest(int replicaId, ReplyDigest reply) {
        if (!current(replicaId, reply.clientId(), reply.requestSeq())) {
            return null;
        }
        replyViews[replicaId] = reply.view();
        vouched[replicaId] = reply.resultDigest();
        return complete(reply.resultDigest());
    }

    /**
     * Records a replica's answer to the read in flight; returns the result once readQuorum
     * replicas gave the same answer, else null.
     */
    public byte[] onReadReply(int replicaId, ReadReply reply) {
        if (outstandingRead == null || replicaId < 0 || replicaId >= config.n() || reply.clientId() != clientId
                || reply.readSeq() != outstandingRead.readSeq() || readAnswers[replicaId] != null) {
            return null;
        }
        readAnswers[replicaId] = reply.result();
        int answered = 0;
        int mostMatching = 0;
        byte[] best = null;
        for (byte[] a : readAnswers) {
            if (a == null) {
                continue;
            }
            answered++;
            int matching = 0;
            for (byte[] b : readAnswers) {
                matching += b != null && Arrays.equals(a, b) ? 1 : 0;
            }
            if (matching > mostMatching) {
                mostMatching = matching;
                best = a;
            }
        }
        if (mostMatching >= config.readQuorum()) {
            outstandingRead = null;
            readAnswers = null;
            return best;
        }
        // the replicas yet to answer could not make any answer reach the quorum: go ordered now
        readCannotAgree = mostMatching + (config.n() - answered) < config.readQuorum();
        return null;
    }

    private boolean current(int replicaId, long replyClientId, long requestSeq) {
        return outstanding != null && replicaId >= 0 && replicaId < config.n()
                && replyClientId == clientId && requestSeq == outstanding.requestSeq();
    }

    private byte[] complete(byte[] digest) {
        int matching = 0;
        for (byte[] d : vouched) {
            if (d != null && Arrays.equals(d, digest)) {
                matching++;
            }
        }
        if (matching < config.replyQuorum()) {
            return null;
        }
        for (int i = 0; i < fullResults.length; i++) {
            // the full result's own digest: a replica may vouch for one digest and send other bytes
            if (fullResults[i] != null && Arrays.equals(fullDigests[i], digest)) {
                byte[] result = fullResults[i];
                learnView();
                outstanding = null;
                vouched = null;
                fullResults = null;
                fullDigests = null;
                return result;
            }
        }
        if (ticksFullResultMissing < 0) {
            ticksFullResultMissing = 0;
        }
        return null;
    }

    /** Moves to the highest view that k'+1 replies reported (when it is higher than the current one). */
    private void learnView() {
        long[] views = replyViews.clone();
        Arrays.sort(views);
        long vouchedView = views[views.length - 1 - config.kPrime()];
        leaderView = Math.max(leaderView, vouchedView);
    }

    /**
     * One tick passed; returns what to send to every replica now, or null: the request again, or a
     * read that failed on the fast path as an ordered request.
     */
    public Message onTick() {
        if (outstandingRead != null) {
            if (!readCannotAgree && ++ticksSinceSend < retransmitTicks) {
                return null;
            }
            byte[] operation = outstandingRead.operation();
            outstandingRead = null;
            readAnswers = null;
            return order(operation);
        }
        if (outstanding == null) {
            return null;
        }
        boolean fullResultLate = ticksFullResultMissing >= 0 && ++ticksFullResultMissing >= FULL_RESULT_GRACE_TICKS;
        if (++ticksSinceSend < retransmitTicks && !fullResultLate) {
            return null;
        }
        ticksSinceSend = 0;
        ticksFullResultMissing = -1;
        return outstanding;
    }
}
