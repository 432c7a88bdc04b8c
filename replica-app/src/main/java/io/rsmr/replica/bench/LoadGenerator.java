package io.rsmr.replica.bench;

import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.kv.KvOperation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Closed-loop load: {@code clients} loops over one {@link RsmrClient} with that many sessions,
 * each sending its next request from the completion of the previous one (on the client's I/O
 * thread, so no thread hand-off per request distorts the figures). Warm-up first, then a measured
 * interval; latencies are kept exactly (bounded per client) and sorted for the percentiles. A
 * loop whose request times out stops (its session stays busy until the request completes) and
 * the timeout is counted.
 */
public final class LoadGenerator {
    /** Time allowed past the end of the run for the last requests to complete. */
    private static final long DRAIN_SECONDS_MAX = 60;

    private LoadGenerator() {}

    /** The key the read workloads read (written once before the run). */
    private static final byte[] READ_KEY = "bench/read".getBytes(StandardCharsets.UTF_8);

    /** Runs the load; the client must have at least {@code settings.clients()} free sessions. */
    public static LoadResult run(RsmrClient client, LoadSettings settings) throws InterruptedException {
        if (settings.workload().reads()) {
            prepareReads(client, settings.replyBytes());
        }
        long fastBefore = client.readsFast();
        long orderedBefore = client.readsOrdered();
        long measureFrom = System.nanoTime() + settings.warmup().toNanos();
        long measureUntil = measureFrom + settings.duration().toNanos();
        CountDownLatch finished = new CountDownLatch(settings.clients());
        List<Loop> loops = new ArrayList<>();
        for (int i = 0; i < settings.clients(); i++) {
            loops.add(new Loop(client, operation(settings, i), settings.workload() == LoadSettings.Workload.GET,
                    measureFrom, measureUntil, finished));
        }
        loops.forEach(Loop::next);
        long waitNanos = Math.max(0, measureUntil - System.nanoTime()) + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS_MAX);
        if (!finished.await(waitNanos, TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException("load clients did not finish " + DRAIN_SECONDS_MAX + " s after the run");
        }
        for (Loop loop : loops) {
            if (loop.failure != null) {
                throw new IllegalStateException("a load client failed", loop.failure);
            }
        }
        return summarise(settings, loops, client.readsFast() - fastBefore, client.readsOrdered() - orderedBefore);
    }

    private static void prepareReads(RsmrClient client, int valueBytes) throws InterruptedException {
        try {
            client.invoke(new KvOperation.Put(READ_KEY, new byte[valueBytes]).encode());
        } catch (TimeoutException e) {
            throw new IllegalStateException("could not write the key the reads read", e);
        }
    }

    private static byte[] operation(LoadSettings settings, int client) {
        byte[] payload = new byte[settings.requestBytes()];
        if (settings.workload() == LoadSettings.Workload.ECHO) {
            return new KvOperation.Echo(payload, settings.replyBytes()).encode();
        }
        if (settings.workload().reads()) {
            return new KvOperation.Get(READ_KEY).encode();
        }
        return new KvOperation.Put(("bench/" + client).getBytes(StandardCharsets.UTF_8), payload).encode();
    }

    private static LoadResult summarise(LoadSettings settings, List<Loop> loops, long readsFast, long readsOrdered) {
        int total = 0;
        long timeouts = 0;
        for (Loop loop : loops) {
            total += loop.count;
            timeouts += loop.timeouts;
        }
        long[] all = new long[total];
        int at = 0;
        for (Loop loop : loops) {
            System.arraycopy(loop.latencies, 0, all, at, loop.count);
            at += loop.count;
        }
        Arrays.sort(all);
        double seconds = settings.duration().toNanos() / 1e9;
        return new LoadResult(settings, total, seconds, total / seconds, millis(all, 0.50), millis(all, 0.99),
                millis(all, 0.999), total == 0 ? 0 : all[total - 1] / 1e6, timeouts, readsFast, readsOrdered);
    }

    private static double millis(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1e6;
    }

    /** One closed-loop client; after the first request, it runs on the client's I/O thread. */
    private static final class Loop {
        private final RsmrClient client;
        private final byte[] operation;
        private final boolean fastRead;
        private final long measureFrom;
        private final long measureUntil;
        private final CountDownLatch finished;
        private long sentNanos;
        long[] latencies = new long[1024];
        int count;
        long timeouts;
        volatile Throwable failure;

        Loop(RsmrClient client, byte[] operation, boolean fastRead, long measureFrom, long measureUntil,
             CountDownLatch finished) {
            this.client = client;
            this.operation = operation;
            this.fastRead = fastRead;
            this.measureFrom = measureFrom;
            this.measureUntil = measureUntil;
            this.finished = finished;
        }

        void next() {
            sentNanos = System.nanoTime();
            if (sentNanos - measureUntil >= 0) {
                finished.countDown();
                return;
            }
            try {
                if (fastRead) {
                    client.submitReadAsync(operation, this::done);
                } else {
                    client.submitAsync(operation, this::done);
                }
            } catch (RuntimeException e) {
                failure = e;
                finished.countDown();
            }
        }

        private void done(byte[] result, Throwable error) {
            long now = System.nanoTime();
            boolean measured = sentNanos - measureFrom >= 0 && now - measureUntil < 0;
            if (error == null) {
                if (measured) {
                    record(now - sentNanos);
                }
                next();
                return;
            }
            if (error instanceof TimeoutException) {
                timeouts++;
            } else {
                failure = error;
            }
            finished.countDown();
        }

        private void record(long nanos) {
            if (count == latencies.length) {
                if (count >= LoadSettings.SAMPLES_PER_CLIENT_MAX) {
                    return;
                }
                latencies = Arrays.copyOf(latencies, Math.min(count * 2, LoadSettings.SAMPLES_PER_CLIENT_MAX));
            }
            latencies[count++] = nanos;
        }
    }
}
