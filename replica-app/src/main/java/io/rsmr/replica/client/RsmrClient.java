package io.rsmr.replica.client;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.replica.crypto.ClientIds;
import io.rsmr.replica.crypto.Peer;
import io.rsmr.replica.protocol.ClientCore;
import io.rsmr.replica.protocol.message.Authenticators;
import io.rsmr.replica.protocol.message.DecodeException;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.transport.DropReason;
import io.rsmr.replica.transport.Membership;
import io.rsmr.replica.transport.NioTransport;
import io.rsmr.replica.transport.Transport;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Java client of a replicated service. Each request goes to the replica the client believes
 * leads, with an authenticator for every replica (their keys come from each connection's handshake);
 * its result is the one that k'+1 replicas returned identically ({@link ClientCore} decides, the
 * same pure logic the simulator drives). A request without a result is re-sent to every replica
 * every {@code retransmitTicks}, and fails with a {@link TimeoutException} after
 * {@code requestTimeoutMillis}. Read-only operations ({@link #submitRead}) first try the fast
 * path: unordered answers from the replicas' own states, k+2k'+1 of them identical, else the ordered
 * way after {@code retransmitTicks}.
 *
 * <p>Concurrency: {@code sessions} requests may be outstanding at once, each under its own
 * client id (the protocol orders one request per client id at a time); a fresh key owns up to
 * {@link ClientIds#SESSIONS_PER_KEY} of them and one connection per replica carries them all.
 * {@link #submit} waits for a free session; {@link #submitAsync} never waits. One I/O thread does
 * all network work and runs the completions. Thread-safe.
 */
public final class RsmrClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RsmrClient.class.getName());

    private final ClientSettings settings;
    private final Membership membership;
    private final MessageCodec codec;
    private final NioTransport transport;
    private final List<Session> sessions = new ArrayList<>();
    /** Per client key (endpoint), per replica core index: the request key of the current session, or null. */
    private final List<Authenticators.Key[]> requestKeys = new ArrayList<>();
    private final Map<Long, Session> sessionsById = new HashMap<>();
    private final BlockingQueue<Session> free;
    private final ConcurrentLinkedQueue<Submission> submissions = new ConcurrentLinkedQueue<>();
    private final Thread ioThread;
    private volatile boolean running = true;
    private final AtomicLong readsFast = new AtomicLong();
    private final AtomicLong readsOrdered = new AtomicLong();

    /**
     * What to do with a result ({@code failure == null}) or a failure such as a
     * {@link TimeoutException}. Runs on the client's I/O thread: keep it short, never block in it.
     */
    @FunctionalInterface
    public interface Completion {
        void done(byte[] result, Throwable failure);
    }

    /** One client id: its pure client logic and the request it has in flight. */
    private static final class Session {
        final int endpoint;
        final ClientCore core;
        Completion completion;
        long deadlineNanos;

        Session(int endpoint, ClientCore core) {
            this.endpoint = endpoint;
            this.core = core;
        }
    }

    private record Submission(Session session, byte[] operation, boolean readOnly, Completion completion) {
    }

    private RsmrClient(ClientSettings settings) throws IOException {
        this.settings = settings;
        this.membership = settings.membership();
        this.codec = new MessageCodec(settings.protocol());
        this.free = new ArrayBlockingQueue<>(settings.sessions());
        SecureRandom random = new SecureRandom();
        List<Ed25519Keys.SigningKey> keys = new ArrayList<>();
        for (int i = 0; i < settings.sessions(); i++) {
            int endpoint = i / ClientIds.SESSIONS_PER_KEY;
            if (endpoint == keys.size()) {
                keys.add(Ed25519Keys.generate(random));
                requestKeys.add(new Authenticators.Key[membership.n()]);
            }
            long clientId = ClientIds.session(ClientIds.of(keys.get(endpoint).publicKey()), i % ClientIds.SESSIONS_PER_KEY);
            // A fresh key gives fresh client ids, so request numbers may start at 1.
            Session session = new Session(endpoint, new ClientCore(settings.protocol(), clientId, 1,
                    settings.retransmitTicks(), requestKeys.get(endpoint)));
            sessions.add(session);
            sessionsById.put(session.core.clientId(), session);
            free.add(session);
        }
        this.transport = NioTransport.forClients(settings.transport(), keys, membership.newKeyRing(),
                membership.addresses());
        this.ioThread = new Thread(this::loop, "rsmr-client-io");
        this.ioThread.setDaemon(true);
    }

    /** Connects (in the background) to every replica of the settings' membership. */
    public static RsmrClient start(ClientSettings settings) throws IOException {
        RsmrClient client = new RsmrClient(settings);
        client.ioThread.start();
        return client;
    }

    /**
     * Starts a request once a session is free (waits for one); the future completes with the
     * result, or with a {@link TimeoutException}.
     */
    public CompletableFuture<byte[]> submit(byte[] operation) throws InterruptedException {
        return submit(operation, false);
    }

    /**
     * Like {@link #submit}, for an operation the service only reads with: the fast path first
     * (never a stale result), the ordered path if that does not answer.
     */
    public CompletableFuture<byte[]> submitRead(byte[] operation) throws InterruptedException {
        return submit(operation, true);
    }

    private CompletableFuture<byte[]> submit(byte[] operation, boolean readOnly) throws InterruptedException {
        check(operation);
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        start(new Submission(free.take(), operation, readOnly, (value, failure) -> {
            if (failure == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(failure);
            }
        }));
        return result;
    }

    /**
     * Starts a request without waiting; {@code completion} runs on the I/O thread.
     *
     * @throws IllegalStateException when every session is busy
     */
    public void submitAsync(byte[] operation, Completion completion) {
        submitAsync(operation, false, completion);
    }

    /** {@link #submitAsync} of a read-only operation (see {@link #submitRead}). */
    public void submitReadAsync(byte[] operation, Completion completion) {
        submitAsync(operation, true, completion);
    }

    private void submitAsync(byte[] operation, boolean readOnly, Completion completion) {
        check(operation);
        Session session = free.poll();
        if (session == null) {
            throw new IllegalStateException("all " + settings.sessions() + " sessions are busy");
        }
        start(new Submission(session, operation, readOnly, completion));
    }

    private void check(byte[] operation) {
        if (operation.length > settings.protocol().requestBytesMax()) {
            throw new IllegalArgumentException("operation of " + operation.length + " bytes exceeds requestBytesMax "
                    + settings.protocol().requestBytesMax());
        }
        if (!running) {
            throw new IllegalStateException("client is closed");
        }
    }

    /** On the I/O thread (a completion resubmitting) the request leaves at once, else via the queue. */
    private void start(Submission submission) {
        if (Thread.currentThread() == ioThread) {
            begin(submission);
        } else {
            submissions.add(submission);
            transport.wakeup();
        }
    }

    /** Runs one request to its result. */
    public byte[] invoke(byte[] operation) throws InterruptedException, TimeoutException {
        return await(submit(operation));
    }

    /** Runs one read-only operation to its result (see {@link #submitRead}). */
    public byte[] invokeRead(byte[] operation) throws InterruptedException, TimeoutException {
        return await(submitRead(operation));
    }

    private static byte[] await(CompletableFuture<byte[]> future) throws InterruptedException, TimeoutException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException timeout) {
                throw timeout;
            }
            throw new IllegalStateException("request failed", e.getCause());
        }
    }

    /** Reads answered on the fast path so far. */
    public long readsFast() {
        return readsFast.get();
    }

    /** Reads that went the ordered way (the fast path gave no agreement in time) so far. */
    public long readsOrdered() {
        return readsOrdered.get();
    }

    public long drops(DropReason reason) {
        return transport.drops().get(reason);
    }

    @Override
    public void close() {
        running = false;
        transport.wakeup();
        try {
            ioThread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(settings.tickMillis());
        long nextTick = System.nanoTime() + tickNanos;
        try {
            while (running) {
                long waitMillis = Transport.timeoutMillis(nextTick - System.nanoTime());
                transport.poll(waitMillis, inbound);
                startSubmitted();
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    tick(now);
                    nextTick = now + tickNanos;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.SEVERE, "client I/O loop failed", e);
        } finally {
            running = false;
            transport.close();
            failAll(new IllegalStateException("client closed"));
        }
    }

    private void startSubmitted() {
        Submission submission;
        while ((submission = submissions.poll()) != null) {
            begin(submission);
        }
    }

    private void begin(Submission submission) {
        Session session = submission.session();
        session.completion = submission.completion();
        session.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.requestTimeoutMillis());
        byte[] operation = submission.operation();
        if (submission.readOnly()) {
            sendToAll(session, session.core.submitRead(operation));
        } else {
            Message request = session.core.submit(operation);
            int target = session.core.target();
            if (target == ClientCore.ALL) {
                sendToAll(session, request);
            } else {
                transport.sendAs(session.endpoint, membership.replicaId(target), codec.encode(request));
            }
        }
    }

    private void tick(long now) {
        for (Session session : sessions) {
            boolean reading = session.core.outstandingRead() != null;
            Message again = session.core.onTick();
            if (reading && again != null) {
                readsOrdered.incrementAndGet();
            }
            if (again != null) {
                sendToAll(session, again);
            }
            if (session.completion != null && now - session.deadlineNanos >= 0) {
                // The session stays busy until its request completes: its id may not start another.
                Completion timedOut = session.completion;
                session.completion = null;
                timedOut.done(null, new TimeoutException("no " + settings.protocol().replyQuorum()
                        + " matching replies within " + settings.requestTimeoutMillis() + " ms"));
            }
        }
    }

    private void sendToAll(Session session, Message message) {
        byte[] bytes = codec.encode(message);
        for (Membership.Member member : membership.members()) {
            transport.sendAs(session.endpoint, member.id(), bytes);
        }
    }

    /** Messages from replicas, and each new session's request key. */
    private final Transport.Inbound inbound = new Transport.Inbound() {
        @Override
        public void onMessage(Peer from, byte[] message) {
            RsmrClient.this.onMessage(from, message);
        }

        @Override
        public void onSession(Peer peer, int endpoint, byte[] requestKey) {
            if (peer instanceof Peer.Replica replica) {
                requestKeys.get(endpoint)[membership.coreIndex(replica.id())] = new Authenticators.Key(requestKey);
            }
        }
    };

    private void onMessage(Peer from, byte[] frame) {
        Message message;
        try {
            message = codec.decode(frame);
        } catch (DecodeException e) {
            transport.drops().count(DropReason.MALFORMED);
            return;
        }
        if (!(from instanceof Peer.Replica replica)) {
            transport.drops().count(DropReason.MALFORMED);
            return;
        }
        int replicaIndex = membership.coreIndex(replica.id());
        if (message instanceof Reply reply) {
            Session session = sessionsById.get(reply.clientId());
            if (session != null) {
                complete(session, session.core.onReply(replicaIndex, reply));
            }
        } else if (message instanceof ReadReply read) {
            Session session = sessionsById.get(read.clientId());
            byte[] result = session == null ? null : session.core.onReadReply(replicaIndex, read);
            if (result != null) {
                readsFast.incrementAndGet();
                complete(session, result);
            }
        } else if (message instanceof ReplyDigest digest) {
            Session session = sessionsById.get(digest.clientId());
            if (session != null) {
                complete(session, session.core.onReplyDigest(replicaIndex, digest));
            }
        } else {
            transport.drops().count(DropReason.MALFORMED);
        }
    }

    /** Hands a finished session's result to its completion and frees the session. */
    private void complete(Session session, byte[] result) {
        if (result != null) {
            Completion done = session.completion;
            session.completion = null;
            free.add(session);
            if (done != null) {
                done.done(result, null);
            }
        }
    }

    private void failAll(Exception cause) {
        for (Session session : sessions) {
            if (session.completion != null) {
                session.completion.done(null, cause);
                session.completion = null;
            }
        }
        Submission submission;
        while ((submission = submissions.poll()) != null) {
            submission.completion().done(null, cause);
        }
    }
}
