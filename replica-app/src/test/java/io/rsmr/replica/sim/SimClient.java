package io.rsmr.replica.sim;

import io.rsmr.replica.protocol.ClientCore;
import io.rsmr.replica.protocol.message.Authenticators;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A closed-loop simulated client: random put/get/cas on a few keys, one at a time; half of its
 * gets take the read fast path (falling back to ordering as the real client does). A new request
 * goes to the replica it believes leads, everything else to every replica, as the real client does.
 * A client given {@code badEntries} is Byzantine: its requests' authenticator entries for those
 * replicas are garbage.
 */
final class SimClient {
    /** A message for one replica, or for all ({@link #ALL}). */
    record Send(Message message, int to) {
        static final int ALL = ClientCore.ALL;
    }

    private final int endpoint;
    private final long clientId;
    private final ClientCore core;
    private final SimParams params;
    private final SplittableRandom random;
    private final Checkers checkers;
    private final List<Long> seenValues = new ArrayList<>();
    private int opsDone;
    private long nextStartTick;
    private long valueCounter;
    private SimKv.Op current;
    private long lastTick;
    private int fastReads;
    private int readsOrdered;
    private int resends;
    private final Set<Integer> badEntries;

    SimClient(int endpoint, long clientId, ClientCore core, SimParams params, SplittableRandom random, Checkers checkers,
              Set<Integer> badEntries) {
        this.badEntries = badEntries;
        this.endpoint = endpoint;
        this.clientId = clientId;
        this.core = core;
        this.params = params;
        this.random = random;
        this.checkers = checkers;
    }

    /** Reads answered on the fast path. */
    int fastReads() {
        return fastReads;
    }

    /** Requests sent again because too few matching replies came in time. */
    int resends() {
        return resends;
    }

    /** Reads that went the ordered way (no agreement in time). */
    int readsOrdered() {
        return readsOrdered;
    }

    int endpoint() {
        return endpoint;
    }

    long clientId() {
        return clientId;
    }

    boolean done() {
        return opsDone == params.opsPerClient();
    }

    String describe() {
        return "c" + clientId + "[" + opsDone + "/" + params.opsPerClient()
                + (core.outstanding() != null ? " waiting seq " + core.outstanding().requestSeq() : "")
                + (core.outstandingRead() != null ? " waiting read " + core.outstandingRead().readSeq() : "") + "]";
    }

    /** What to send this tick: a new request (to the leader) or read, a retransmission, a read gone ordered (to all). */
    List<Send> tick(long now) {
        lastTick = now;
        if (!core.busy() && !done() && now >= nextStartTick) {
            current = nextOp();
            checkers.onInvoke(clientId, current);
            if (current.type() == SimKv.GET && random.nextBoolean()) {
                return List.of(new Send(core.submitRead(current.encode()), Send.ALL));
            }
            Request request = sent(core.submit(current.encode()));
            return List.of(new Send(request, core.target()));
        }
        boolean reading = core.outstandingRead() != null;
        Message again = core.onTick();
        if (reading && again != null) {
            readsOrdered++;
        } else if (again instanceof Request) {
            resends++;
        }
        return again == null ? List.of() : List.of(new Send(again instanceof Request r ? sent(r) : again, Send.ALL));
    }

    /** Tells the checkers which bytes the client sent under a request number; garbles the bad entries. */
    private Request sent(Request r) {
        checkers.onSent(clientId, r.requestSeq(), r.operation());
        if (badEntries.isEmpty()) {
            return r;
        }
        byte[] authenticator = r.authenticator().length == 0 ? new byte[Authenticators.bytesFor(params.config().n())]
                : r.authenticator().clone();
        for (int replica : badEntries) {
            authenticator[replica * Authenticators.ENTRY_BYTES + random.nextInt(Authenticators.ENTRY_BYTES)] ^= 1;
        }
        return new Request(r.clientId(), r.requestSeq(), r.operation(), authenticator);
    }

    /** A full, digest-only or read reply from a replica; anything else a replica sends is ignored. */
    void onReply(int replica, Message reply, Checkers checkers) {
        long seq = core.outstanding() != null ? core.outstanding().requestSeq() : -1;
        byte[] result = reply instanceof Reply full ? core.onReply(replica, full)
                : reply instanceof ReplyDigest digest ? core.onReplyDigest(replica, digest)
                : reply instanceof ReadReply read ? core.onReadReply(replica, read) : null;
        if (result == null) {
            return;
        }
        if (reply instanceof ReadReply) {
            fastReads++;
        }
        SimKv.Result decoded = SimKv.Result.decode(result);
        if (decoded == null) {
            throw new Simulator.Violation("client " + clientId + " accepted a malformed result for seq " + seq);
        }
        checkers.onResponse(clientId, seq, decoded);
        if (decoded.value() != SimKv.ABSENT) {
            seenValues.add(decoded.value());
        }
        opsDone++;
        nextStartTick = lastTick + random.nextInt(params.thinkTicksMax() + 1);
    }

    private SimKv.Op nextOp() {
        int key = random.nextInt(params.keys());
        long value = clientId * 1_000_000 + (++valueCounter);
        return switch (random.nextInt(7)) {
            case 0, 1 -> new SimKv.Op(SimKv.PUT, key, 0, value);
            case 2, 3 -> new SimKv.Op(SimKv.GET, key, 0, 0);
            case 4 -> new SimKv.Op(SimKv.DELETE, key, 0, 0);
            default -> new SimKv.Op(SimKv.CAS, key, expectedValue(), value);
        };
    }

    private long expectedValue() {
        if (seenValues.isEmpty() || random.nextInt(4) == 0) {
            return SimKv.ABSENT;
        }
        return seenValues.get(random.nextInt(seenValues.size()));
    }
}
