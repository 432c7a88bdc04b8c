package io.rsmr.replica.bench;

import java.time.Duration;

/**
 * One closed-loop load run.
 *
 * @param clients closed-loop clients: each sends its next request when the previous one completed
 * @param requestBytes payload bytes of each request
 * @param replyBytes result bytes of each reply
 * @param warmup time run first and not measured (JIT, connections)
 * @param duration time measured
 * @param workload what each request does
 */
public record LoadSettings(int clients, int requestBytes, int replyBytes, Duration warmup, Duration duration,
                           Workload workload) {
    /** Latency samples kept per client at most (bounds memory for long runs). */
    public static final int SAMPLES_PER_CLIENT_MAX = 4_000_000;

    /**
     * {@code echo}: ordered, changes nothing, exact request and reply sizes; {@code put}: writes the
     * payload to a key per client; {@code get}: reads a key holding {@code replyBytes} on the read
     * fast path; {@code get_ordered}: the same read through the ordering protocol.
     */
    public enum Workload {
        ECHO, PUT, GET, GET_ORDERED;

        boolean reads() {
            return this == GET || this == GET_ORDERED;
        }
    }

    public LoadSettings {
        if (clients < 1 || requestBytes < 0 || replyBytes < 0 || warmup.isNegative() || duration.isZero()
                || duration.isNegative()) {
            throw new IllegalArgumentException("clients >= 1, sizes >= 0, warmup >= 0 and duration > 0 required: " + this);
        }
    }
}
