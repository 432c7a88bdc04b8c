package io.rsmr.replica.sim;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks that a client-visible history of {@link SimKv} operations is linearizable: per key (a
 * per-key register is independent of the others, so linearizability composes), a depth-first
 * search in the style of Wing and Gong with Lowe's memoization of (linearized set, value) looks
 * for an order that respects real time and explains every observed result. Operations without a
 * response may take effect or not.
 */
final class LinearizabilityChecker {
    /** One client operation: invoked and answered at global event stamps (response MAX: none). */
    record Call(long clientId, SimKv.Op op, long invoked, long responded, SimKv.Result result) {
        boolean completed() {
            return responded != Long.MAX_VALUE;
        }
    }

    private record Memo(BitSet done, long value) {
    }

    private final int callsPerKeyMax;

    LinearizabilityChecker(int callsPerKeyMax) {
        this.callsPerKeyMax = callsPerKeyMax;
    }

    /** Returns null when linearizable, else a description of the first key that is not. */
    String check(List<Call> history) {
        Map<Integer, List<Call>> byKey = new TreeMap<>();
        for (Call c : history) {
            byKey.computeIfAbsent(c.op().key(), k -> new ArrayList<>()).add(c);
        }
        for (Map.Entry<Integer, List<Call>> e : byKey.entrySet()) {
            List<Call> calls = e.getValue();
            if (calls.size() > callsPerKeyMax) {
                throw new IllegalArgumentException("key " + e.getKey() + " has " + calls.size()
                        + " calls, more than callsPerKeyMax " + callsPerKeyMax);
            }
            if (!search(calls, new BitSet(calls.size()), SimKv.ABSENT, new HashSet<>())) {
                return "key " + e.getKey() + " is not linearizable: " + calls;
            }
        }
        return null;
    }

    private boolean search(List<Call> calls, BitSet done, long value, Set<Memo> seen) {
        if (allCompletedDone(calls, done)) {
            return true;
        }
        if (!seen.add(new Memo((BitSet) done.clone(), value))) {
            return false;
        }
        long horizon = earliestResponse(calls, done);
        for (int i = 0; i < calls.size(); i++) {
            Call c = calls.get(i);
            if (done.get(i) || c.invoked() >= horizon) {
                continue;
            }
            if (c.completed() && !SimKv.resultOf(c.op(), value).equals(c.result())) {
                continue;
            }
            done.set(i);
            boolean ok = search(calls, done, SimKv.apply(c.op(), value), seen);
            done.clear(i);
            if (ok) {
                return true;
            }
        }
        return false;
    }

    private static boolean allCompletedDone(List<Call> calls, BitSet done) {
        for (int i = 0; i < calls.size(); i++) {
            if (!done.get(i) && calls.get(i).completed()) {
                return false;
            }
        }
        return true;
    }

    /** An operation may go next only if it was invoked before every pending operation's response. */
    private static long earliestResponse(List<Call> calls, BitSet done) {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < calls.size(); i++) {
            if (!done.get(i)) {
                min = Math.min(min, calls.get(i).responded());
            }
        }
        return min;
    }
}
