package io.rsmr.replica.sim;

import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.ReplicaCore;
import io.rsmr.replica.protocol.message.Request;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Invariants checked after every step of a simulation: correct replicas execute the same
 * hash-chained sequence of batches (agreement); every request executed was sent by its client, with
 * the same bytes, and runs exactly once in that sequence; and the client history the
 * {@link LinearizabilityChecker} checks at the end.
 */
final class Checkers {
    private record Executed(byte[] batchDigest, byte[] chainHash, List<Long> requestKeys, int replica) {
    }

    private record RequestId(long clientId, long requestSeq) {
    }

    private record Open(SimKv.Op op, long invoked) {
    }

    private final SimParams params;
    private final Map<Long, Executed> bySeq = new HashMap<>();
    private final Map<RequestId, byte[]> sent = new HashMap<>();
    private final Set<RequestId> executedOnce = new HashSet<>();
    private final Map<Long, Open> open = new HashMap<>();
    private final List<LinearizabilityChecker.Call> history = new ArrayList<>();
    private long stamp;
    private final Map<Integer, Long> lastSeqOf = new HashMap<>();
    private int stateJumps;

    Checkers(SimParams params) {
        this.params = params;
    }

    /** A client starts an operation (ordered, or a read on the fast path). */
    void onInvoke(long clientId, SimKv.Op op) {
        open.put(clientId, new Open(op, ++stamp));
    }

    /** A client sent these bytes as an ordered request (the only ones a replica may execute). */
    void onSent(long clientId, long requestSeq, byte[] operation) {
        sent.put(new RequestId(clientId, requestSeq), operation);
    }

    void onResponse(long clientId, long requestSeq, SimKv.Result result) {
        Open o = open.remove(clientId);
        if (o == null) {
            throw new Simulator.Violation("client " + clientId + " completed seq " + requestSeq + " it did not invoke"
                    + " (-1: a read on the fast path)");
        }
        history.add(new LinearizabilityChecker.Call(clientId, o.op(), o.invoked(), ++stamp, result));
    }

    /** Operations, including those still without a response. */
    List<LinearizabilityChecker.Call> history() {
        List<LinearizabilityChecker.Call> all = new ArrayList<>(history);
        open.forEach((client, o) -> all.add(new LinearizabilityChecker.Call(client, o.op(), o.invoked(), Long.MAX_VALUE, null)));
        return all;
    }

    long executedSeqs() {
        return bySeq.size();
    }

    /** How often a correct replica skipped seqs (it installed a checkpoint state from a peer). */
    int stateJumps() {
        return stateJumps;
    }

    void onExecuted(int replica, Output.Executed e, ReplicaCore core) {
        if (params.isByzantine(replica)) {
            return;
        }
        Long last = lastSeqOf.put(replica, e.seq());
        if (last != null && e.seq() != last + 1) {
            stateJumps++;
        }
        List<Long> keys = new ArrayList<>(e.executed().size());
        for (Request r : e.executed()) {
            keys.add(r.clientId() * 1_000_000_007L + r.requestSeq());
        }
        Executed first = bySeq.get(e.seq());
        if (first == null) {
            checkNewRequests(e, replica);
            bySeq.put(e.seq(), new Executed(e.batchDigest(), e.chainHash(), keys, replica));
            return;
        }
        if (!Arrays.equals(first.batchDigest(), e.batchDigest()) || !Arrays.equals(first.chainHash(), e.chainHash())
                || !first.requestKeys().equals(keys)) {
            throw new Simulator.Violation("agreement: replica " + replica + " executed a different batch or chain at seq "
                    + e.seq() + " than replica " + first.replica() + " (view " + core.view() + ")");
        }
    }

    private void checkNewRequests(Output.Executed e, int replica) {
        for (Request r : e.executed()) {
            RequestId id = new RequestId(r.clientId(), r.requestSeq());
            byte[] op = sent.get(id);
            if (op == null || !Arrays.equals(op, r.operation())) {
                throw new Simulator.Violation("validity: replica " + replica + " executed request " + id
                        + " at seq " + e.seq() + " that its client never sent");
            }
            if (!executedOnce.add(id)) {
                throw new Simulator.Violation("exactly-once: request " + id + " executed again at seq " + e.seq());
            }
        }
    }
}
