package io.rsmr.replica.sim;

import io.rsmr.replica.protocol.ClientCore;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A closed-loop simulated client: random put/get/cas on a few keys, one at a time. */
final class SimClient {
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

    SimClient(int endpoint, long clientId, ClientCore core, SimParams params, SplittableRandom random, Checkers checkers) {
        this.endpoint = endpoint;
        this.clientId = clientId;
        this.core = core;
        this.params = params;
        this.random = random;
        this.checkers = checkers;
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
                + (core.busy() ? " waiting seq " + core.outstanding().requestSeq() : "") + "]";
    }

    /** Requests to send to every replica this tick (a new one, or a retransmission). */
    List<Request> tick(long now) {
        lastTick = now;
        if (!core.busy() && !done() && now >= nextStartTick) {
            current = nextOp();
            Request r = core.submit(current.encode());
            checkers.onInvoke(clientId, r.requestSeq(), current, r.operation());
            return List.of(r);
        }
        Request again = core.onTick();
        return again == null ? List.of() : List.of(again);
    }

    /** A full or digest-only reply from a replica; anything else a replica sends is ignored. */
    void onReply(int replica, Message reply, Checkers checkers) {
        long seq = core.busy() ? core.outstanding().requestSeq() : -1;
        byte[] result = reply instanceof Reply full ? core.onReply(replica, full)
                : reply instanceof ReplyDigest digest ? core.onReplyDigest(replica, digest) : null;
        if (result == null) {
            return;
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
