package io.rsmr.common.config;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The timing of the PRW instantiation: the period T_p, the execution interval T_d, the bound of each
 * step of Algorithm 1 (section 3.2), the adversary model T_exhaust(x), and the start of round 0.
 */
public record Timing(Instant epoch, Duration tp, Duration td, Duration shutdown, Duration checkCode,
                     Duration restoreCode, Duration boot, Duration transfer, SortedMap<Integer, Duration> exhaust) {
    public Timing {
        exhaust = exhaust == null ? Collections.emptySortedMap() : Collections.unmodifiableSortedMap(new TreeMap<>(exhaust));
    }

    /** T_localexec = T_shutdown + 2·T_checkcode + 2·T_restorecode + T_boot + T_transfer. */
    public Duration localExec() {
        return shutdown.plus(checkCode.multipliedBy(2)).plus(restoreCode.multipliedBy(2)).plus(boot).plus(transfer);
    }

    /**
     * A lower bound of T_exhaust(x), the minimum time needed to compromise x replicas: the table's
     * entry for the largest x0 ≤ x (compromising more replicas never takes less time). Null when the
     * table has no entry at or below x.
     */
    public Map.Entry<Integer, Duration> exhaustBound(int x) {
        SortedMap<Integer, Duration> head = exhaust.headMap(x + 1);
        return head.isEmpty() ? null : Map.entry(head.lastKey(), head.get(head.lastKey()));
    }
}
