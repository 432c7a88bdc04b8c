package io.rsmr.replica.transport;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/** One counter per {@link DropReason}; readable from any thread. */
public final class DropCounters {
    private final AtomicLongArray counts = new AtomicLongArray(DropReason.values().length);

    public void count(DropReason reason) {
        counts.incrementAndGet(reason.ordinal());
    }

    public long get(DropReason reason) {
        return counts.get(reason.ordinal());
    }

    /** The non-zero counters, for logs and status lines. */
    public Map<DropReason, Long> snapshot() {
        Map<DropReason, Long> nonZero = new EnumMap<>(DropReason.class);
        for (DropReason reason : DropReason.values()) {
            long count = get(reason);
            if (count != 0) {
                nonZero.put(reason, count);
            }
        }
        return nonZero;
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
