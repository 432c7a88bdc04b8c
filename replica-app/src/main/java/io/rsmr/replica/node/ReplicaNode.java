package io.rsmr.replica.node;

import io.rsmr.common.crypto.Hex;
import io.rsmr.replica.crypto.ClientIds;
import io.rsmr.replica.crypto.EpochSignatures;
import io.rsmr.replica.crypto.Peer;
import io.rsmr.replica.crypto.ReplicaKeyRing;
import io.rsmr.replica.kv.KvService;
import io.rsmr.replica.protocol.Input;
import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.ReplicaCore;
import io.rsmr.replica.protocol.message.DecodeException;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.transport.DropReason;
import io.rsmr.replica.transport.Membership;
import io.rsmr.replica.transport.NioTransport;
import io.rsmr.replica.transport.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
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
 * <p>Durability: {@link Output#toPersist()} must be durable before the same step's messages leave.
 * Durable storage is issue 4 and not written yet, so this shell keeps no log on disk; a replica
 * that restarts comes back empty and catches up from its peers by the core's state transfer. A
 * marker file in the data directory says whether it ran before: if so it starts as
 * {@code recovering} (it must not vote before it caught up, or it could contradict its lost
 * votes), and it tells its agent when it has recovered.
 */
public final class ReplicaNode implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReplicaNode.class.getName());
    /** Ticks caught up in one loop turn after a stall; the rest are skipped, not queued. */
    private static final int TICKS_PER_TURN_MAX = 10;

    private final NodeSettings settings;
    private final Membership membership;
    private final Transport transport;
    private final KvService service;
    private final ReplicaCore core;
    private final MessageCodec codec;
    private final StatusFile status;
    private final LongSupplier nanoClock = System::nanoTime;
    private final Map<DecodeException.Reason, Long> decodeDrops = new EnumMap<>(DecodeException.Reason.class);
    private final Random byzantineRandom = new Random(1);
    private final Optional<AgentReport> agent;
    private final long startNanos = System.nanoTime();
    private boolean recoveryReported;
    private volatile boolean running = true;

    public ReplicaNode(NodeSettings settings, Optional<AgentReport> agent) throws IOException {
        this.settings = settings;
        this.agent = agent;
        this.membership = settings.membership();
        ReplicaKeyRing keyRing = membership.newKeyRing();
        this.service = new KvService(settings.kvLimits());
        this.core = new ReplicaCore(settings.protocol(), membership.coreIndex(settings.replicaId()), service,
                new EpochSignatures(settings.identity(), keyRing, this::replicaIdOrNone),
                StartMarker.ranBefore(settings.dataDir()));
        this.codec = new MessageCodec(settings.protocol());
        this.status = new StatusFile(settings.dataDir().resolve(StatusFile.NAME));
        this.transport = NioTransport.forReplica(settings.transport(), settings.identity(), keyRing,
                membership.addresses().get(settings.replicaId()), membership.addresses());
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
                transport.poll(TimeUnit.NANOSECONDS.toMillis(waitNanos), this::onMessage);
                long now = nanoClock.getAsLong();
                for (int i = 0; i < TICKS_PER_TURN_MAX && now - nextTick >= 0; i++) {
                    execute(core.step(Input.TICK));
                    nextTick += tickNanos;
                }
                if (now - nextTick >= 0) {
                    nextTick = now + tickNanos;
                }
                reportRecoveryOnce();
                if (now - nextStatus >= 0) {
                    writeStatus();
                    nextStatus = now + TimeUnit.MILLISECONDS.toNanos(settings.statusWriteIntervalMillis());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("replica " + settings.replicaId() + " event loop failed", e);
        } finally {
            transport.close();
        }
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

    /** Null for what a peer may not send: a client sends only requests, under ids its key owns. */
    private Input toInput(Peer from, Message message) {
        if (from instanceof Peer.Replica replica) {
            return new Input.FromReplica(membership.coreIndex(replica.id()), message);
        }
        if (message instanceof Request request && ClientIds.keyOf(request.clientId()) == ((Peer.Client) from).id()) {
            return new Input.FromClient(request.clientId(), request);
        }
        return null;
    }

    private void execute(Output output) {
        if (settings.byzantineMode() == ByzantineMode.SILENT) {
            return;
        }
        for (Output.Outbound outbound : output.toReplicas()) {
            byte[] bytes = misbehave(codec.encode(outbound.message()));
            if (outbound.to() == Output.ALL) {
                for (Membership.Member member : membership.members()) {
                    if (member.id() != settings.replicaId()) {
                        transport.sendToReplica(member.id(), bytes);
                    }
                }
            } else {
                transport.sendToReplica(membership.replicaId(outbound.to()), bytes);
            }
        }
        for (Output.ClientReply reply : output.toClients()) {
            transport.sendToClient(reply.clientId(), codec.encode(wrongIfByzantine(reply.reply())));
        }
        for (Output.ClientReplyDigest reply : output.toClientsDigests()) {
            transport.sendToClient(reply.clientId(), codec.encode(wrongIfByzantine(reply.reply())));
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
        return lyingToClients() ? new Reply(reply.clientId(), reply.requestSeq(), wrong(reply.result())) : reply;
    }

    private ReplyDigest wrongIfByzantine(ReplyDigest reply) {
        return lyingToClients() ? new ReplyDigest(reply.clientId(), reply.requestSeq(), wrong(reply.resultDigest())) : reply;
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

    private void reportRecoveryOnce() {
        if (recoveryReported || core.recovering()) {
            return;
        }
        recoveryReported = true;
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        long checkpointSeq = core.stableCertificate().seq();
        LOG.info("replica " + settings.replicaId() + " votes (recovered) after " + millis + " ms, stable checkpoint "
                + checkpointSeq);
        agent.ifPresent(report -> report.recovered(settings.replicaId(), settings.identity().epoch(), checkpointSeq,
                Hex.of(core.stableCertificate().stateDigest()), millis));
    }

    private void writeStatus() {
        StatusFile.Status now = new StatusFile.Status(settings.replicaId(), settings.identity().epoch(), core.view(),
                core.lastExecutedSeq(), Hex.of(service.stateDigest()), Hex.of(core.chainHash()),
                transport.drops().snapshot().toString(), decodeDrops.toString(), core.dropCounts().toString());
        status.writeIfChanged(now);
    }
}
