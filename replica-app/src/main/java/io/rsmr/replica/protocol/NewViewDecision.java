package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Batch;
import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.SlotClaim;
import io.rsmr.replica.protocol.message.ViewChange;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The new-view decision of PBFT for view changes without signed prepares (Castro's thesis,
 * section 3.2.4), with q = n-k-k' for "2f+1" and k'+1 for "f+1". From a set S of valid, signed
 * view changes it picks the stable checkpoint (the highest certified one) and, for every seq above
 * it up to the highest prepared claim, either a digest or a null request:
 * <ul>
 * <li>digest d of view v if (A1) q messages of S have no prepared claim for seq, or one of a lower
 * view, or exactly (v, d); and (A2) k'+1 messages of S pre-prepared d in a view &gt;= v;</li>
 * <li>null if (B) q messages of S have no prepared claim for seq.</li>
 * </ul>
 * A value committed in an earlier view was prepared by q-k' correct replicas, so every S of q
 * messages holds one of their claims and A1 fails for anything else. Every replica recomputes the
 * decision from the same S, so the new view message carries S only.
 */
final class NewViewDecision {
    /** One decided slot: the digest to order at seq ({@link Batch#EMPTY}'s digest for null). */
    record Decided(long seq, byte[] digest, boolean isNull) {
    }

    /** The base checkpoint and the slots above it, in seq order. */
    record Decision(CheckpointCertificate base, List<Decided> slots) {
        long maxSeq() {
            return slots.isEmpty() ? base.seq() : slots.get(slots.size() - 1).seq();
        }
    }

    private NewViewDecision() {
    }

    /** The decision, or null when S does not (yet) decide every slot. */
    static Decision decide(ProtocolConfig config, List<ViewChange> s) {
        if (s.size() < config.quorum()) {
            return null;
        }
        CheckpointCertificate base = s.stream().map(ViewChange::stable)
                .max(Comparator.comparingLong(CheckpointCertificate::seq)).orElseThrow();
        List<Map<Long, SlotClaim>> prepared = new ArrayList<>(s.size());
        List<Map<Long, List<SlotClaim>>> prePrepared = new ArrayList<>(s.size());
        long maxSeq = base.seq();
        for (ViewChange vc : s) {
            Map<Long, SlotClaim> p = new HashMap<>();
            for (SlotClaim c : vc.prepared()) {
                p.put(c.seq(), c);
                maxSeq = Math.max(maxSeq, c.seq());
            }
            prepared.add(p);
            Map<Long, List<SlotClaim>> q = new HashMap<>();
            for (SlotClaim c : vc.prePrepared()) {
                q.computeIfAbsent(c.seq(), x -> new ArrayList<>(2)).add(c);
            }
            prePrepared.add(q);
        }
        List<Decided> slots = new ArrayList<>();
        for (long seq = base.seq() + 1; seq <= maxSeq; seq++) {
            Decided d = decideSlot(config, seq, prepared, prePrepared);
            if (d == null) {
                return null;
            }
            slots.add(d);
        }
        return new Decision(base, slots);
    }

    private static Decided decideSlot(ProtocolConfig config, long seq, List<Map<Long, SlotClaim>> prepared,
                                      List<Map<Long, List<SlotClaim>>> prePrepared) {
        List<SlotClaim> candidates = new ArrayList<>();
        for (Map<Long, SlotClaim> p : prepared) {
            SlotClaim c = p.get(seq);
            if (c != null) {
                candidates.add(c);
            }
        }
        candidates.sort(Comparator.comparingLong(SlotClaim::view).reversed()
                .thenComparing(SlotClaim::digest, Arrays::compare));
        for (SlotClaim c : candidates) {
            if (notContradicted(c, seq, prepared) >= config.quorum()
                    && supported(c, seq, prePrepared) >= config.replyQuorum()) {
                return new Decided(seq, c.digest(), false);
            }
        }
        if (prepared.size() - candidates.size() >= config.quorum()) {
            return new Decided(seq, Batch.EMPTY.digest(), true);
        }
        return null;
    }

    /** A1: messages with no prepared claim for seq, an older one, or exactly this one. */
    private static int notContradicted(SlotClaim c, long seq, List<Map<Long, SlotClaim>> prepared) {
        int count = 0;
        for (Map<Long, SlotClaim> p : prepared) {
            SlotClaim other = p.get(seq);
            if (other == null || other.view() < c.view()
                    || (other.view() == c.view() && Arrays.equals(other.digest(), c.digest()))) {
                count++;
            }
        }
        return count;
    }

    /** A2: messages that pre-prepared this digest in this view or a later one. */
    private static int supported(SlotClaim c, long seq, List<Map<Long, List<SlotClaim>>> prePrepared) {
        int count = 0;
        for (Map<Long, List<SlotClaim>> q : prePrepared) {
            for (SlotClaim other : q.getOrDefault(seq, List.of())) {
                if (other.view() >= c.view() && Arrays.equals(other.digest(), c.digest())) {
                    count++;
                    break;
                }
            }
        }
        return count;
    }
}
