package io.rsmr.replica.sim;

import io.rsmr.replica.protocol.Input;
import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.ProtocolConfig;
import io.rsmr.replica.protocol.ReplicaCore;
import io.rsmr.replica.protocol.Signatures;
import io.rsmr.replica.protocol.message.Authenticators;
import io.rsmr.replica.protocol.message.Batch;
import io.rsmr.replica.protocol.message.Checkpoint;
import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.Commit;
import io.rsmr.replica.protocol.message.FetchBatch;
import io.rsmr.replica.protocol.message.FetchState;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.NewView;
import io.rsmr.replica.protocol.message.PrePrepare;
import io.rsmr.replica.protocol.message.Prepare;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.protocol.message.Status;
import io.rsmr.replica.protocol.message.ViewChange;
import io.rsmr.replica.sim.SimParams.Behavior;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * A Byzantine replica: the real core (two of them for Twins: one identity, one key, two nodes)
 * whose output is rewritten by scripted behaviours, plus messages of its own making. It holds
 * only its own signing key, as a real intruder would.
 */
final class ByzantineNode {
    /** Where the node's frames go (the simulated network). */
    interface Network {
        void send(int from, int to, byte[] bytes);
    }

    private static final int REPLAY_BUFFER_MAX = 64;

    private final SimParams.Byzantine spec;
    private final ProtocolConfig config;
    private final MessageCodec codec;
    private final SplittableRandom random;
    private final Signatures signatures;
    private final List<ReplicaCore> cores = new ArrayList<>(2);
    private final ArrayDeque<byte[]> replayBuffer = new ArrayDeque<>();
    private final int me;

    ByzantineNode(SimParams.Byzantine spec, ProtocolConfig config, MessageCodec codec, SplittableRandom random,
                  Supplier<ReplicaCore> makeCore, Signatures signatures) {
        this.spec = spec;
        this.config = config;
        this.codec = codec;
        this.random = random;
        this.signatures = signatures;
        this.me = spec.replicaId();
        cores.add(makeCore.get());
        if (has(Behavior.TWINS)) {
            cores.add(makeCore.get());
        }
    }

    ReplicaCore core() {
        return cores.get(0);
    }

    private boolean has(Behavior b) {
        return spec.behaviors().contains(b);
    }

    void deliver(Input input, long now, Network net) {
        if (input instanceof Input.FromReplica fr && random.nextInt(4) == 0) {
            remember(codec.encode(fr.message()));
        }
        for (ReplicaCore core : cores) {
            if (cores.size() == 2 && random.nextInt(4) == 0) {
                continue;
            }
            emit(core, core.step(input), net);
        }
    }

    void tick(long now, Network net) {
        for (ReplicaCore core : cores) {
            emit(core, core.step(Input.TICK), net);
        }
        if (has(Behavior.SILENT)) {
            return;
        }
        if (has(Behavior.FLOOD)) {
            flood(net);
        }
        if (has(Behavior.REPLAY) && !replayBuffer.isEmpty() && random.nextInt(5) == 0) {
            List<byte[]> old = new ArrayList<>(replayBuffer);
            net.send(me, randomPeer(), old.get(random.nextInt(old.size())));
        }
        if (has(Behavior.FORGE) && random.nextInt(20) == 0) {
            net.send(me, randomPeer(), codec.encode(forged(core())));
        }
        if (has(Behavior.FALSE_CHECKPOINT) && random.nextInt(20) == 0) {
            long seq = (core().lastExecutedSeq() / config.checkpointIntervalSeqs() + 1) * config.checkpointIntervalSeqs();
            broadcast(net, codec.encode(falseCheckpoint(seq)));
            broadcast(net, codec.encode(new Status(core().view(), false, seq + 1000, seq, random.nextBoolean())));
        }
    }

    private void emit(ReplicaCore core, Output out, Network net) {
        if (has(Behavior.SILENT) || (has(Behavior.SILENT_LEADER) && config.leaderOf(core.view()) == me)) {
            return;
        }
        for (Output.Outbound o : out.toReplicas()) {
            for (int to = 0; to < config.n(); to++) {
                if (to != me && (o.to() == Output.ALL || o.to() == to)) {
                    sendMutated(net, to, o.message());
                }
            }
        }
        for (Output.ClientReply r : out.toClients()) {
            Reply reply = r.reply();
            if (has(Behavior.WRONG_REPLY) && random.nextInt(3) != 0) {
                reply = new Reply(reply.clientId(), reply.requestSeq(), reply.view(),
                        new SimKv.Result((byte) random.nextInt(4), random.nextLong(3)).encode());
            }
            net.send(me, config.n() + (int) (r.clientId() - 1000), codec.encode(reply));
        }
        for (Output.ClientReplyDigest r : out.toClientsDigests()) {
            ReplyDigest reply = r.reply();
            if (has(Behavior.WRONG_REPLY) && random.nextInt(3) != 0) {
                reply = new ReplyDigest(reply.clientId(), reply.requestSeq(), reply.view(), randomDigest());
            }
            net.send(me, config.n() + (int) (r.clientId() - 1000), codec.encode(reply));
        }
        for (Output.ClientReadReply r : out.toClientsReads()) {
            ReadReply reply = r.reply();
            if (has(Behavior.WRONG_REPLY) && random.nextInt(3) != 0) {
                reply = new ReadReply(reply.clientId(), reply.readSeq(),
                        new SimKv.Result((byte) random.nextInt(4), random.nextLong(3)).encode());
            }
            net.send(me, config.n() + (int) (r.clientId() - 1000), codec.encode(reply));
        }
    }

    private void sendMutated(Network net, int to, Message m) {
        Message changed = mutate(m);
        byte[] bytes = codec.encode(changed);
        remember(bytes);
        if (has(Behavior.ALTER) && random.nextInt(20) == 0) {
            bytes = bytes.clone();
            bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
        }
        net.send(me, to, bytes);
    }

    private Message mutate(Message m) {
        if (has(Behavior.EQUIVOCATE) && m instanceof PrePrepare pp && random.nextBoolean()) {
            List<Request> reversed = new ArrayList<>();
            for (int i = 0; i < pp.batch().size(); i++) {
                if (pp.batch().operation(i) != null) {
                    reversed.add(pp.batch().request(i));
                }
            }
            Collections.reverse(reversed);
            Batch other = reversed.size() > 1 && random.nextBoolean() ? Batch.of(reversed) : Batch.EMPTY;
            return new PrePrepare(pp.view(), pp.seq(), other);
        }
        if (has(Behavior.ALTER) && m instanceof Prepare p && random.nextInt(3) == 0) {
            return new Prepare(p.view(), p.seq(), randomDigest());
        }
        if (has(Behavior.ALTER) && m instanceof Commit c && random.nextInt(3) == 0) {
            return new Commit(c.view(), c.seq(), randomDigest());
        }
        if (has(Behavior.FALSE_CHECKPOINT) && m instanceof Checkpoint c) {
            return falseCheckpoint(c.seq());
        }
        return m;
    }

    private Checkpoint falseCheckpoint(long seq) {
        byte[] digest = randomDigest();
        long epoch = signatures.epoch();
        return new Checkpoint(me, epoch, seq, digest, signatures.sign(MessageCodec.signedBytes(me, epoch, seq, digest)));
    }

    /** Messages that claim what the node cannot prove: others' signatures, others' leadership. */
    private Message forged(ReplicaCore core) {
        int other = (me + 1 + random.nextInt(Math.max(1, config.n() - 1))) % config.n();
        long seq = config.checkpointIntervalSeqs() * (core.stableCertificate().seq() / config.checkpointIntervalSeqs() + 1);
        byte[] digest = randomDigest();
        Checkpoint fake = new Checkpoint(other, 0, seq, digest, randomDigest());
        CheckpointCertificate cert = new CheckpointCertificate(seq, digest,
                Collections.nCopies(Math.min(config.n(), config.quorum()), fake));
        ViewChange vc = new ViewChange(other, 0, core.view() + 1, cert, List.of(), List.of(), randomDigest());
        return switch (random.nextInt(7)) {
            case 0 -> cert;
            case 1 -> vc;
            case 2 -> new NewView(config.leaderOf(core.view() + 1), 0, core.view() + 1,
                    Collections.nCopies(config.quorum(), vc), randomDigest());
            case 3 -> new PrePrepare(core.view(), core.lastExecutedSeq() + 1, Batch.EMPTY);
            case 4 -> new Request(1000 + random.nextInt(4), 1 + random.nextInt(30), new SimKv.Op(SimKv.PUT, 0, 0, 666).encode());
            case 5 -> new PrePrepare(core.view(), core.lastExecutedSeq() + 1 + random.nextInt(config.pipelineInstancesMax()),
                    Batch.of(List.of(forgedRequest())));
            default -> new Commit(core.view(), core.lastExecutedSeq() + 1, digest);
        };
    }

    /** A request no client sent, with a made-up authenticator: as leader, it proposes it to a backup. */
    private Request forgedRequest() {
        byte[] authenticator = new byte[Authenticators.bytesFor(config.n())];
        random.nextBytes(authenticator);
        return new Request(1000 + random.nextInt(4), 1 + random.nextInt(30), new SimKv.Op(SimKv.PUT, 0, 0, 666).encode(),
                authenticator);
    }

    private void flood(Network net) {
        for (int i = 0; i < 3; i++) {
            int to = randomPeer();
            if (random.nextBoolean()) {
                byte[] junk = new byte[1 + random.nextInt(64)];
                random.nextBytes(junk);
                net.send(me, to, junk);
            } else {
                Message m = switch (random.nextInt(3)) {
                    case 0 -> new FetchState(random.nextLong(1000));
                    case 1 -> new FetchBatch(random.nextLong(1000), randomDigest());
                    default -> new Prepare(core().view(), core().lastExecutedSeq() + 1 + random.nextInt(4), randomDigest());
                };
                net.send(me, to, codec.encode(m));
            }
        }
    }

    private void remember(byte[] bytes) {
        if (!has(Behavior.REPLAY)) {
            return;
        }
        if (replayBuffer.size() == REPLAY_BUFFER_MAX) {
            replayBuffer.pollFirst();
        }
        replayBuffer.addLast(bytes);
    }

    private void broadcast(Network net, byte[] bytes) {
        for (int to = 0; to < config.n(); to++) {
            if (to != me) {
                net.send(me, to, bytes);
            }
        }
    }

    private int randomPeer() {
        int to = random.nextInt(config.n() - 1);
        return to >= me ? to + 1 : to;
    }

    private byte[] randomDigest() {
        byte[] d = new byte[32];
        random.nextBytes(d);
        return d;
    }
}
