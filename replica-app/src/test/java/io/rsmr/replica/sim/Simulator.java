package io.rsmr.replica.sim;

import io.rsmr.replica.crypto.ClientIds;
import io.rsmr.replica.protocol.ChunkStore;
import io.rsmr.replica.protocol.ClientCore;
import io.rsmr.replica.protocol.DropReason;
import io.rsmr.replica.protocol.Input;
import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.ProtocolConfig;
import io.rsmr.replica.protocol.ReplicaCore;
import io.rsmr.replica.protocol.Signatures;
import io.rsmr.replica.protocol.Start;
import io.rsmr.replica.protocol.TestSignatures;
import io.rsmr.replica.protocol.message.Authenticators;
import io.rsmr.replica.protocol.message.DecodeException;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.ReadRequest;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.service.Service;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * Deterministic simulation of a whole cluster in one thread (in the spirit of TigerBeetle's VOPR):
 * the real {@link ReplicaCore}s and {@link ClientCore}s over a simulated network and clock, every
 * message through the real codec. A safety phase with message loss, duplication, delay
 * (reordering), partitions, crash-restarts of up to k replicas and up to k' scripted Byzantine
 * replicas is followed by a liveness phase on a healed network that must complete every client
 * operation within a bound, and then bring every replica that recovers back to voting with the
 * certified state. {@link Checkers} run after every step.
 *
 * <p>Each replica has a {@link SimDisk}. A crashed replica comes back in one of four ways: from
 * its intact disk (it resumes from its log), from its intact log with damaged chunks, with its disk
 * lost, or — in runs with rejuvenations — rejuvenated in turn, round after round, on a disk an
 * intruder damaged.
 */
final class Simulator {
    /** A frame in flight between endpoints (replicas 0..n-1, clients n..n+c-1). */
    private record Packet(long time, long order, int from, int to, byte[] bytes) {
    }

    /** A protocol violation or a liveness failure, with the seed that reproduces it. */
    static final class Violation extends AssertionError {
        private final boolean liveness;

        Violation(String message) {
            this(message, false);
        }

        Violation(String message, boolean liveness) {
            super(message);
            this.liveness = liveness;
        }

        /** True for "clients did not finish in time", false for a broken safety invariant. */
        boolean liveness() {
            return liveness;
        }
    }

    private final SimParams params;
    private final int n;
    private final SplittableRandom random;
    private final MessageCodec codec;
    private final Checkers checkers;
    private final RecoveringCoreFactory factory;
    private final IntFunction<Signatures> signaturesOf;
    private final ReplicaCore[] replicas;
    private final SimDisk[] disks;
    private final ByzantineNode[] byzantine;
    private final SimClient[] clients;
    private final PriorityQueue<Packet> network = new PriorityQueue<>(
            (a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.order, b.order));
    private long packetOrder;
    private long now;
    private boolean healed;
    private final int[] partitionOf;
    private long partitionEndTick;
    private final long[] crashedUntil;
    private long decodeFailures;
    private long delivered;
    private int restarts;
    private int nextRejuvenated;
    private final EnumMap<SimDisk.Damage, Integer> damages = new EnumMap<>(SimDisk.Damage.class);
    /** Per client key id: the request key it shares with each replica (null: no session with it). */
    private final Map<Long, byte[][]> requestKeys = new TreeMap<>();

    /** A simulation with the fast stand-in signatures. */
    Simulator(SimParams params, RecoveringCoreFactory factory) {
        this(params, factory, TestSignatures.forCluster(params.config().n(), new SplittableRandom(params.seed())));
    }

    /** A simulation whose replicas sign with {@code signaturesOf.apply(replicaId)}. */
    Simulator(SimParams params, RecoveringCoreFactory factory, IntFunction<Signatures> signaturesOf) {
        this.params = params;
        this.n = params.config().n();
        this.random = new SplittableRandom(params.seed() ^ 0x5DEECE66DL);
        this.codec = new MessageCodec(params.config());
        this.checkers = new Checkers(params);
        this.signaturesOf = signaturesOf;
        this.factory = factory;
        this.replicas = new ReplicaCore[n];
        this.disks = new SimDisk[n];
        this.byzantine = new ByzantineNode[n];
        this.partitionOf = new int[n];
        this.crashedUntil = new long[n];
        for (int i = 0; i < n; i++) {
            disks[i] = new SimDisk();
            replicas[i] = newCore(i, Start.FRESH);
        }
        for (SimParams.Byzantine b : params.byzantine()) {
            byzantine[b.replicaId()] = new ByzantineNode(b, params.config(), codec, random.split(),
                    () -> factory.create(params.config(), b.replicaId(), SimKv.newService(),
                            signaturesOf.apply(b.replicaId()), ChunkStore.EMPTY, Start.FRESH),
                    signaturesOf.apply(b.replicaId()));
        }
        this.clients = new SimClient[params.clients()];
        SplittableRandom sessions = new SplittableRandom(params.seed() ^ 0xA17E_4711_C0DEL);
        for (int c = 0; c < clients.length; c++) {
            long clientId = 1000 + c;
            byte[][] keys = requestKeys.computeIfAbsent(ClientIds.keyOf(clientId), id -> newRequestKeys(sessions));
            Authenticators.Key[] clientKeys = new Authenticators.Key[n];
            for (int i = 0; i < n; i++) {
                clientKeys[i] = keys[i] == null ? null : new Authenticators.Key(keys[i]);
            }
            clients[c] = new SimClient(n + c, clientId,
                    new ClientCore(params.config(), clientId, 1, params.clientRetransmitTicks(), clientKeys),
                    params, random.split(), checkers, c == 0 ? params.badEntries() : Set.of());
        }
        for (int i = 0; i < n; i++) {
            openSessions(i);
        }
    }

    /**
     * One key per replica; with a 1 in 6 chance per replica the client key has no session with it
     * (as before its first connection): that replica must then get the client's requests directly.
     * From a stream of its own, so that the other parameters of a seed stay what they were.
     */
    private byte[][] newRequestKeys(SplittableRandom sessions) {
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            if (sessions.nextInt(6) != 0) {
                keys[i] = new byte[Authenticators.KEY_BYTES];
                sessions.nextBytes(keys[i]);
            }
        }
        return keys;
    }

    /** Hands a (re)started replica the request keys of the clients it has sessions with (they reconnect). */
    private void openSessions(int i) {
        for (Map.Entry<Long, byte[][]> e : requestKeys.entrySet()) {
            byte[] key = e.getValue()[i];
            if (key != null) {
                Input session = new Input.ClientSession(e.getKey(), key);
                if (byzantine[i] != null) {
                    byzantine[i].deliver(session, now, this::sendBytes);
                } else {
                    handleOutput(i, replicas[i].step(session));
                }
            }
        }
    }

    /** Makes replica cores; a test subclass of ReplicaCore plugs in here. */
    interface RecoveringCoreFactory {
        ReplicaCore create(ProtocolConfig config, int id, Service service, Signatures signatures,
                           ChunkStore store, Start start);
    }

    private ReplicaCore newCore(int id, Start start) {
        return factory.create(params.config(), id, SimKv.newService(), signaturesOf.apply(id), disks[id].store(), start);
    }

    /** Runs both phases; throws {@link Violation} naming the seed on any failure. */
    Stats run() {
        try {
            runPhases();
        } catch (Violation v) {
            throw new Violation("seed " + params.seed() + " (" + params + "): " + v.getMessage(), v.liveness());
        }
        String lin = new LinearizabilityChecker(4096).check(checkers.history());
        if (lin != null) {
            throw new Violation("seed " + params.seed() + ": linearizability violated: " + lin);
        }
        long maxView = 0;
        int stillRecovering = 0;
        Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
        for (int i = 0; i < n; i++) {
            if (byzantine[i] == null) {
                stillRecovering += replicas[i].recovering() ? 1 : 0;
                maxView = Math.max(maxView, replicas[i].view());
                replicas[i].dropCounts().forEach((reason, count) -> drops.merge(reason, count, Long::sum));
            }
        }
        int fastReads = 0;
        int readsOrdered = 0;
        int resends = 0;
        for (SimClient c : clients) {
            fastReads += c.fastReads();
            readsOrdered += c.readsOrdered();
            resends += c.resends();
        }
        return new Stats(now, delivered, decodeFailures, checkers.executedSeqs(), checkers.history().size(),
                maxView, restarts, stillRecovering, checkers.stateJumps(), drops, Map.copyOf(damages), fastReads,
                readsOrdered, resends);
    }

    /** Figures of one run (to show which paths the seeds exercised). */
    record Stats(long ticks, long delivered, long decodeFailures, long executedSeqs, int operations,
                 long maxView, int restarts, int stillRecovering, int stateJumps, Map<DropReason, Long> drops,
                 Map<SimDisk.Damage, Integer> damages, int fastReads, int readsOrdered, int clientResends) {
    }

    private void runPhases() {
        long livenessDeadline = params.safetyTicks() + params.livenessTicksMax();
        while (!allClientsDone()) {
            if (now == params.safetyTicks()) {
                heal();
            }
            if (now >= livenessDeadline) {
                throw new Violation("liveness: clients not done " + params.livenessTicksMax()
                        + " ticks after healing; " + progressReport(), true);
            }
            step();
        }
        long recoveryDeadline = now + params.livenessTicksMax();
        while (anyCorrectReplicaRecovering()) {
            if (now >= recoveryDeadline) {
                throw new Violation("liveness: a replica still recovering " + params.livenessTicksMax()
                        + " ticks after the clients finished; " + progressReport(), true);
            }
            step();
        }
    }

    private boolean anyCorrectReplicaRecovering() {
        for (int i = 0; i < n; i++) {
            if (byzantine[i] == null && replicas[i].recovering()) {
                return true;
            }
        }
        return false;
    }

    private boolean allClientsDone() {
        for (SimClient c : clients) {
            if (!c.done()) {
                return false;
            }
        }
        return true;
    }

    private String progressReport() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            ReplicaCore r = byzantine[i] != null ? byzantine[i].core() : replicas[i];
            sb.append(String.format("r%d[view=%d%s exec=%d stable=%d%s%s drops=%s] ", i, r.view(), r.inViewChange() ? " vc" : "",
                    r.lastExecutedSeq(), r.stableCertificate().seq(), r.recovering() ? " recovering" : "",
                    byzantine[i] != null ? " byz" : crashedUntil[i] > now ? " down" : "", r.dropCounts()));
        }
        for (SimClient c : clients) {
            sb.append(c.describe()).append(' ');
        }
        return sb.toString();
    }

    private void heal() {
        healed = true;
        for (int i = 0; i < n; i++) {
            partitionOf[i] = 0;
            if (crashedUntil[i] > now) {
                crashedUntil[i] = now;
            }
        }
    }

    private void step() {
        deliverDue();
        if (!healed) {
            maybePartition();
            maybeCrash();
        }
        for (int i = 0; i < n; i++) {
            if (crashedUntil[i] > now) {
                continue;
            }
            if (crashedUntil[i] == now && now > 0) {
                restart(i);
            }
            tickReplica(i);
        }
        for (SimClient c : clients) {
            for (SimClient.Send send : c.tick(now)) {
                sendFromClient(c, send);
            }
        }
        now++;
    }

    private void tickReplica(int i) {
        if (byzantine[i] != null) {
            byzantine[i].tick(now, this::sendBytes);
        } else {
            handleOutput(i, replicas[i].step(Input.TICK));
        }
    }

    private void deliverDue() {
        while (!network.isEmpty() && network.peek().time <= now) {
            Packet p = network.poll();
            delivered++;
            deliver(p);
        }
    }

    private void deliver(Packet p) {
        if (p.to < n && crashedUntil[p.to] > now) {
            return;
        }
        Message m;
        try {
            m = codec.decode(p.bytes);
        } catch (DecodeException e) {
            decodeFailures++;
            return;
        }
        if (p.to >= n) {
            if (p.from < n) {
                clients[p.to - n].onReply(p.from, m, checkers);
            }
            return;
        }
        Input input;
        if (p.from >= n) {
            long clientId = clients[p.from - n].clientId();
            if (m instanceof Request r) {
                input = new Input.FromClient(clientId, r);
            } else if (m instanceof ReadRequest r) {
                input = new Input.FromClientRead(clientId, r);
            } else {
                return;
            }
        } else {
            input = new Input.FromReplica(p.from, m);
        }
        if (byzantine[p.to] != null) {
            byzantine[p.to].deliver(input, now, this::sendBytes);
        } else {
            handleOutput(p.to, replicas[p.to].step(input));
        }
    }

    private void handleOutput(int replica, Output out) {
        disks[replica].persist(out.toPersist());
        for (Output.Executed e : out.executed()) {
            checkers.onExecuted(replica, e, replicas[replica]);
        }
        for (Output.Outbound o : out.toReplicas()) {
            byte[] bytes = codec.encode(o.message());
            if (o.to() == Output.ALL) {
                for (int to = 0; to < n; to++) {
                    if (to != replica) {
                        sendBytes(replica, to, bytes);
                    }
                }
            } else {
                sendBytes(replica, o.to(), bytes);
            }
        }
        for (Output.ClientReply r : out.toClients()) {
            sendToClient(replica, r.clientId(), r.reply());
        }
        for (Output.ClientReplyDigest r : out.toClientsDigests()) {
            sendToClient(replica, r.clientId(), r.reply());
        }
        for (Output.ClientReadReply r : out.toClientsReads()) {
            sendToClient(replica, r.clientId(), r.reply());
        }
    }

    private void sendToClient(int replica, long clientId, Message reply) {
        int endpoint = (int) (clientId - 1000) + n;
        if (endpoint >= n && endpoint < n + clients.length) {
            sendBytes(replica, endpoint, codec.encode(reply));
        }
    }

    private void sendFromClient(SimClient c, SimClient.Send send) {
        byte[] bytes = codec.encode(send.message());
        for (int to = 0; to < n; to++) {
            if (send.to() == SimClient.Send.ALL || send.to() == to) {
                sendBytes(c.endpoint(), to, bytes);
            }
        }
    }

    /** The network: loss, duplication, delay and partitions apply until the heal. */
    void sendBytes(int from, int to, byte[] bytes) {
        if (!healed) {
            if (from < n && to < n && partitionOf[from] != partitionOf[to]) {
                return;
            }
            if (random.nextDouble() < params.lossRate()) {
                return;
            }
            if (random.nextDouble() < params.duplicateRate()) {
                enqueue(from, to, bytes);
            }
        }
        enqueue(from, to, bytes);
    }

    private void enqueue(int from, int to, byte[] bytes) {
        int delayMax = healed ? 2 : params.delayTicksMax();
        int slow = healed || from >= n ? 0 : params.inboundDelayTicks(to);
        network.add(new Packet(now + 1 + slow + random.nextInt(delayMax), packetOrder++, from, to, bytes));
    }

    private void maybePartition() {
        if (now >= partitionEndTick && partitionOf[0] + sumPartitions() > 0) {
            Arrays.fill(partitionOf, 0);
        }
        if (params.partitionsMax() == 0 || now < partitionEndTick || random.nextInt(60) != 0) {
            return;
        }
        for (int i = 0; i < n; i++) {
            partitionOf[i] = random.nextInt(2);
        }
        partitionEndTick = now + 20 + random.nextInt(130);
    }

    private int sumPartitions() {
        int sum = 0;
        for (int p : partitionOf) {
            sum += p;
        }
        return sum;
    }

    /**
     * Crashes a correct replica when fewer than k are down or still recovering. A rejuvenated one
     * first hands over leadership, as its schedule tells it to.
     */
    private void maybeCrash() {
        if (!params.crashes() || random.nextInt(80) != 0) {
            return;
        }
        int silent = 0;
        for (int i = 0; i < n; i++) {
            if (crashedUntil[i] >= now || replicas[i].recovering()) {
                silent++;
            }
        }
        if (silent >= params.config().k()) {
            return;
        }
        int victim = params.rejuvenations() ? nextRejuvenated() : random.nextInt(n);
        if (byzantine[victim] != null || crashedUntil[victim] > now) {
            return;
        }
        if (params.rejuvenations()) {
            handleOutput(victim, replicas[victim].step(Input.STEP_DOWN));
        }
        crashedUntil[victim] = now + 30 + random.nextInt(300);
    }

    /** The correct replicas in turn, round after round, as the agents' schedule takes them. */
    private int nextRejuvenated() {
        for (int tried = 0; tried < n; tried++) {
            int candidate = nextRejuvenated++ % n;
            if (byzantine[candidate] == null) {
                return candidate;
            }
        }
        return 0;
    }

    /**
     * A crashed replica comes back at its crashedUntil tick: rejuvenated on a damaged disk it must
     * not trust, or after a crash from its intact disk, from its disk with damaged chunks but an
     * intact log, or with its disk lost.
     */
    private void restart(int i) {
        restarts++;
        if (params.rejuvenations()) {
            SimDisk.Damage[] all = SimDisk.Damage.values();
            SimDisk.Damage damage = all[random.nextInt(all.length)];
            damages.merge(damage, 1, Integer::sum);
            disks[i].damage(damage, random);
            replicas[i] = newCore(i, Start.RECOVER);
        } else if (random.nextInt(3) == 0) {
            replicas[i] = newCore(i, disks[i].resume());
        } else if (random.nextBoolean()) {
            // bit rot in its chunks, the log intact: it fetches the state and keeps its logged votes
            disks[i].damage(SimDisk.Damage.RANDOM_BYTES, random);
            replicas[i] = newCore(i, disks[i].resume());
        } else {
            disks[i] = new SimDisk();
            replicas[i] = newCore(i, Start.RECOVER);
        }
        openSessions(i);
    }
}
