package io.rsmr.replica.bench;

import java.util.Locale;

/**
 * What one run measured. Latencies are of completed requests in the measured interval, in
 * milliseconds; {@code timeouts} counts requests that got no result in time; {@code readsFast} and
 * {@code readsOrdered} count, over the whole run, the reads answered on the fast path and those
 * that went the ordered way.
 */
public record LoadResult(LoadSettings settings, long operations, double seconds, double opsPerSecond,
                         double p50Millis, double p99Millis, double p999Millis, double maxMillis, long timeouts,
                         long readsFast, long readsOrdered) {

    public String toText() {
        return String.format(Locale.ROOT, "%d clients, %d B requests, %d B replies (%s): %.0f ops/s, latency p50 %.2f ms,"
                        + " p99 %.2f ms, p99.9 %.2f ms, max %.2f ms; %d ops in %.1f s, %d timeouts",
                settings.clients(), settings.requestBytes(), settings.replyBytes(),
                settings.workload().name().toLowerCase(Locale.ROOT), opsPerSecond, p50Millis, p99Millis, p999Millis,
                maxMillis, operations, seconds, timeouts) + fastShareText();
    }

    private String fastShareText() {
        long reads = readsFast + readsOrdered;
        return reads == 0 ? "" : String.format(Locale.ROOT, "; %.1f %% of %d reads on the fast path",
                100.0 * readsFast / reads, reads);
    }

    public String toJson() {
        return String.format(Locale.ROOT, "{\"clients\":%d,\"requestBytes\":%d,\"replyBytes\":%d,\"workload\":\"%s\","
                        + "\"warmupSeconds\":%.1f,\"durationSeconds\":%.1f,\"operations\":%d,\"opsPerSecond\":%.1f,"
                        + "\"latencyMillis\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},\"timeouts\":%d,"
                        + "\"readsFast\":%d,\"readsOrdered\":%d}",
                settings.clients(), settings.requestBytes(), settings.replyBytes(),
                settings.workload().name().toLowerCase(Locale.ROOT), settings.warmup().toMillis() / 1000.0, seconds,
                operations, opsPerSecond, p50Millis, p99Millis, p999Millis, maxMillis, timeouts, readsFast, readsOrdered);
    }
}
