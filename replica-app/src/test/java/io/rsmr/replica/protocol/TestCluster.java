package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.ReadRequest;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/** A scripted in-memory cluster for unit tests: FIFO delivery, optional per-link drops, a chunk store per replica. */
final class TestCluster {
    record Envelope(int from, int to, Message message) {
    }

    final ProtocolConfig config;
    final ReplicaCore[] replicas;
    final MapService[] services;
    final MemoryChunkStore[] stores;
    final ArrayDeque<Envelope> queue = new ArrayDeque<>();
    final List<List<Reply>> repliesByReplica = new ArrayList<>();
    final List<List<ReplyDigest>> digestsByReplica = new ArrayList<>();
    final List<List<ReadReply>> readsByReplica = new ArrayList<>();
    /** (from, to) -> true drops the message; from -1 is a client. */
    BiPredicate<Integer, Integer> dropLink = (from, to) -> false;
    /** true drops the message (applied to replica-to-replica messages). */
    Predicate<Envelope> dropMessage = e -> false;

    TestCluster(ProtocolConfig config) {
        this.config = config;
        replicas = new ReplicaCore[config.n()];
        services = new MapService[config.n()];
        stores = new MemoryChunkStore[config.n()];
        for (int i = 0; i < config.n(); i++) {
            services[i] = new MapService();
            stores[i] = new MemoryChunkStore();
            replicas[i] = new ReplicaCore(config, i, services[i], new TestSignatures(i), stores[i], Start.FRESH);
            repliesByReplica.add(new ArrayList<>());
            digestsByReplica.add(new ArrayList<>());
            readsByReplica.add(new ArrayList<>());
        }
    }

    void clientSends(Request r) {
        for (int i = 0; i < config.n(); i++) {
            clientSendsTo(i, r);
        }
    }

    void clientSendsTo(int replica, Request r) {
        if (!dropLink.test(-1, replica)) {
            handle(replica, replicas[replica].step(new Input.FromClient(r.clientId(), r)));
        }
    }

    /** Client key {@code keyId} has a session with each replica i whose keys[i] is not null. */
    void openSessions(long keyId, byte[][] keys) {
        for (int i = 0; i < config.n(); i++) {
            if (keys[i] != null) {
                handle(i, replicas[i].step(new Input.ClientSession(keyId, keys[i])));
            }
        }
    }

    void clientReads(int replica, ReadRequest r) {
        handle(replica, replicas[replica].step(new Input.FromClientRead(r.clientId(), r)));
    }

    void handle(int from, Output out) {
        stores[from].persist(out.toPersist());
        for (Output.Outbound o : out.toReplicas()) {
            for (int to = 0; to < config.n(); to++) {
                if (to != from && (o.to() == Output.ALL || o.to() == to)) {
                    queue.add(new Envelope(from, to, o.message()));
                }
            }
        }
        for (Output.ClientReply r : out.toClients()) {
            repliesByReplica.get(from).add(r.reply());
        }
        for (Output.ClientReplyDigest r : out.toClientsDigests()) {
            digestsByReplica.get(from).add(r.reply());
        }
        for (Output.ClientReadReply r : out.toClientsReads()) {
            readsByReplica.get(from).add(r.reply());
        }
    }

    /** Delivers until no message is left (bounded). */
    void deliverAll() {
        for (int i = 0; i < 1_000_000 && !queue.isEmpty(); i++) {
            Envelope e = queue.poll();
            if (!dropLink.test(e.from(), e.to()) && !dropMessage.test(e)) {
                handle(e.to(), replicas[e.to()].step(new Input.FromReplica(e.from(), e.message())));
            }
        }
    }

    void tick(int ticks) {
        for (int t = 0; t < ticks; t++) {
            for (int i = 0; i < config.n(); i++) {
                handle(i, replicas[i].step(Input.TICK));
            }
            deliverAll();
        }
    }
}
