package io.rsmr.agent.rounds;

import io.rsmr.agent.rounds.RoundMessage.Done;
import io.rsmr.agent.rounds.RoundMessage.Heartbeat;
import io.rsmr.agent.rounds.RoundMessage.OneOffDone;
import io.rsmr.agent.rounds.RoundMessage.OneOffStarted;
import io.rsmr.agent.rounds.RoundMessage.Started;
import io.rsmr.agent.rounds.RoundWire.Rejection;
import io.rsmr.common.crypto.Ed25519Keys;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The thin shell around {@link RoundsCore}: one thread steps the core, a ticker feeds it the clock
 * every {@value #TICK_MILLIS} ms (so a deadline fires within 1 s), a receiver turns signed UDP
 * datagrams from the management address into events, and the core's actions go to the local
 * rejuvenation, to the other agents, and to the {@link Sink} (fail-safe, alerts, journal).
 */
public final class RoundsRunner implements AutoCloseable {
    public static final long TICK_MILLIS = 100;
    /** Events waiting for the core; past this the receiver drops datagrams (they are repeated anyway). */
    public static final int EVENT_QUEUE_LENGTH_MAX = 4_096;

    /** Runs Algorithm 1 for one of this host's replicas; calls {@code onFinished} once, from any thread. */
    public interface LocalRejuvenation {
        void start(RoundsAction.StartLocal start, Finished onFinished);
    }

    /** The end of one local rejuvenation. */
    public interface Finished {
        void finished(boolean ok, long startedMillis);
    }

    /** Where the core's findings go: the fail-safe actions, alerts, the journal, the log. */
    public interface Sink {
        void failSafe(RoundsAction.FailSafe failSafe);

        void alert(String reason);

        void record(GroupRecord group);

        void rejected(SocketAddress from, Rejection reason, String detail);
    }

    private final RoundsConfig cfg;
    private final String self;
    private final RoundWire wire;
    private final Ed25519Keys.SigningKey key;
    private final Map<String, InetSocketAddress> peers;
    private final LocalRejuvenation local;
    private final Sink sink;
    private final Clock clock;
    private final RoundsCore core;
    private final DatagramChannel channel;
    private final BlockingQueue<Runnable> queue = new ArrayBlockingQueue<>(EVENT_QUEUE_LENGTH_MAX);
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "rounds-tick"));
    private final Thread loop = daemon(this::runLoop, "rounds-core");
    private final Thread receiver = daemon(this::runReceiver, "rounds-receive");
    /** Others' Started and Done as they signed them, so this agent can repeat them verbatim. */
    private final Map<RoundMessage, byte[]> signedByOthers = new ConcurrentHashMap<>();
    private final Map<String, Long> lastHeartbeatSequence = new ConcurrentHashMap<>();
    private final Map<Rejection, AtomicLong> rejections = new EnumMap<>(Rejection.class);
    private volatile boolean closed;

    /**
     * @param bind  this agent's management address: it listens there and nowhere else
     * @param peers every other agent's management address, by host
     */
    public RoundsRunner(RoundsConfig cfg, String self, RoundWire wire, Ed25519Keys.SigningKey key, InetSocketAddress bind,
                        Map<String, InetSocketAddress> peers, LocalRejuvenation local, Sink sink, Clock clock)
            throws IOException {
        this.cfg = cfg;
        this.self = self;
        this.wire = wire;
        this.key = key;
        this.peers = Map.copyOf(peers);
        this.local = local;
        this.sink = sink;
        this.clock = clock;
        this.core = new RoundsCore(cfg, self);
        for (Rejection r : Rejection.values()) {
            rejections.put(r, new AtomicLong());
        }
        this.channel = DatagramChannel.open().bind(bind);
    }

    public RoundsRunner start() {
        loop.start();
        receiver.start();
        ticker.scheduleAtFixedRate(() -> offer(() -> step(new RoundsEvent.Tick(clock.millis()))),
                0, TICK_MILLIS, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Suspends rounds on this agent (the operator sends it to every agent). */
    public void pause(String by) {
        call(() -> step(new RoundsEvent.Pause(clock.millis(), by)));
    }

    /** Resumes rounds from {@code fromRound} on this agent; refused if that round has begun. */
    public void resume(String by, long fromRound) {
        call(() -> step(new RoundsEvent.Resume(clock.millis(), by, fromRound)));
    }

    /** Rejuvenates this host's replica now, outside the schedule; refused, saying why, if it could put more than k down. */
    public void oneOff(String by, int replicaId) {
        call(() -> step(new RoundsEvent.OneOff(clock.millis(), by, replicaId)));
    }

    public List<GroupRecord> status() {
        return call(core::status);
    }

    public boolean paused() {
        return call(core::paused);
    }

    public Map<Rejection, Long> rejections() {
        Map<Rejection, Long> counts = new EnumMap<>(Rejection.class);
        rejections.forEach((r, n) -> counts.put(r, n.get()));
        return counts;
    }

    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    private <T> T call(Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            queue.put(() -> {
                try {
                    result.complete(work.get());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
    }

    private boolean offer(Runnable work) {
        return !closed && queue.offer(work);
    }

    private void runLoop() {
        while (!closed) {
            try {
                queue.take().run();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Runs on the loop thread only. */
    private List<RoundsAction> step(RoundsEvent event) {
        List<RoundsAction> actions = core.step(event);
        for (RoundsAction a : actions) {
            carryOut(a);
        }
        return actions;
    }

    private void carryOut(RoundsAction a) {
        if (a instanceof RoundsAction.StartLocal s) {
            local.start(s, (ok, startedMillis) -> {
                Runnable finish = () -> step(new RoundsEvent.LocalFinished(clock.millis(), s.round(), s.replicaId(), ok, startedMillis));
                try {
                    queue.put(finish); // never dropped: the core must learn that its replica is back
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        } else if (a instanceof RoundsAction.Broadcast b) {
            send(b.message());
        } else if (a instanceof RoundsAction.FailSafe f) {
            sink.failSafe(f);
        } else if (a instanceof RoundsAction.Alert al) {
            sink.alert(al.reason());
        } else if (a instanceof RoundsAction.Record r) {
            sink.record(r.group());
        }
    }

    private void send(RoundMessage m) {
        byte[] datagram = m.origin().equals(self) ? wire.seal(m, key) : signedByOthers.get(m);
        if (datagram == null) {
            return; // a relay of something not received over the wire (cannot happen): nothing to repeat
        }
        for (InetSocketAddress peer : peers.values()) {
            try {
                channel.send(ByteBuffer.wrap(datagram), peer);
            } catch (IOException e) {
                // The LAN is down or the peer unreachable: the core sees silence and acts on it.
            }
        }
    }

    private void runReceiver() {
        ByteBuffer buffer = ByteBuffer.allocate(RoundWire.DATAGRAM_BYTES_MAX + 1);
        while (!closed) {
            try {
                buffer.clear();
                SocketAddress from = channel.receive(buffer);
                buffer.flip();
                byte[] datagram = new byte[buffer.remaining()];
                buffer.get(datagram);
                accept(from, datagram);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                sink.alert("management LAN receive failed: " + e.getMessage());
            }
        }
    }

    private void accept(SocketAddress from, byte[] datagram) {
        try {
            RoundMessage m = wire.open(datagram);
            checkFresh(m);
            if (!(m instanceof Heartbeat)) {
                signedByOthers.putIfAbsent(m, datagram);
            }
            long receivedAt = clock.millis();
            offer(() -> step(new RoundsEvent.Received(receivedAt, m)));
        } catch (RoundWire.RejectedException e) {
            rejections.get(e.reason()).incrementAndGet();
            sink.rejected(from, e.reason(), e.getMessage());
        }
    }

    /**
     * A heartbeat must carry a larger sequence than the last one from its origin (else it could make a
     * dead agent look alive); a Started or Done must be of the previous, current or next round (an
     * older one is a replay: it is true, but no longer news).
     */
    private void checkFresh(RoundMessage m) throws RoundWire.RejectedException {
        if (m instanceof Heartbeat h) {
            Long last = lastHeartbeatSequence.get(h.origin());
            if (last != null && h.sequence() <= last) {
                throw new RoundWire.RejectedException(Rejection.REPLAYED, "heartbeat " + h.sequence() + " from " + h.origin()
                        + " after " + last);
            }
            lastHeartbeatSequence.put(h.origin(), h.sequence());
            return;
        }
        long now = clock.millis();
        if (!(m instanceof Started || m instanceof Done)) {
            long at = oneOffTime(m, now);
            if (Math.abs(now - at) > cfg.tpMillis()) {
                throw new RoundWire.RejectedException(Rejection.STALE_ROUND, m + " is more than T_p old");
            }
            return;
        }
        long round = m instanceof Started s ? s.round() : ((Done) m).round();
        long current = cfg.roundAt(now);
        if (round < current - 1 || round > current + 1) {
            throw new RoundWire.RejectedException(Rejection.STALE_ROUND, m.getClass().getSimpleName() + " of round " + round
                    + " from " + m.origin() + " in round " + current);
        }
        signedByOthers.keySet().removeIf(k -> expired(k, current, now));
    }

    private boolean expired(RoundMessage m, long currentRound, long now) {
        if (m instanceof Started s) {
            return s.round() < currentRound - 1;
        }
        if (m instanceof Done d) {
            return d.round() < currentRound - 1;
        }
        return now - oneOffTime(m, now) > cfg.tpMillis();
    }

    /** When a one-off message was made, by its origin's clock: the one-off's id, or a Done's end. */
    private static long oneOffTime(RoundMessage m, long now) {
        if (m instanceof OneOffDone d) {
            return d.endedMillis();
        }
        if (m instanceof OneOffStarted o) {
            return o.id();
        }
        if (m instanceof RoundMessage.OneOffRequest q) {
            return q.id();
        }
        return m instanceof RoundMessage.OneOffGrant g ? g.id() : now;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        ticker.shutdownNow();
        loop.interrupt();
        channel.close();
    }
}
