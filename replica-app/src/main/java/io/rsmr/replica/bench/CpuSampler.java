package io.rsmr.replica.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * CPU time of a set of processes over an interval. On this shared 2-core machine wall-clock
 * throughput moves with whatever else runs, but the CPU time a request costs moves much less: the
 * CPU microseconds per operation of each replica and of the client process say where the work is
 * and how it grows with n.
 */
final class CpuSampler {
    private final List<Long> pids;
    private final long[] start;

    private CpuSampler(List<Long> pids) {
        this.pids = List.copyOf(pids);
        this.start = new long[pids.size()];
    }

    /** Starts measuring the given processes now. */
    static CpuSampler start(List<Long> pids) {
        CpuSampler sampler = new CpuSampler(pids);
        for (int i = 0; i < pids.size(); i++) {
            sampler.start[i] = cpuNanos(pids.get(i));
        }
        return sampler;
    }

    /**
     * Measures the given processes over {@code length}, starting {@code after} from now (the load
     * generator's warm-up), on a daemon thread; the future yields each process's CPU nanoseconds
     * and how much {@code counter} grew over the same interval.
     */
    static CompletableFuture<Interval> over(List<Long> pids, Duration after, Duration length, LongSupplier counter) {
        CompletableFuture<Interval> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                Thread.sleep(after.toMillis());
                CpuSampler sampler = start(pids);
                long counted = counter.getAsLong();
                Thread.sleep(length.toMillis());
                result.complete(new Interval(sampler.elapsedNanos(), counter.getAsLong() - counted));
            } catch (InterruptedException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, "cpu-sampler");
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    /** What {@link #over} measured: CPU nanoseconds per process (in the order given), the counter's growth. */
    record Interval(long[] cpuNanos, long counted) {
    }

    /** CPU nanoseconds each process used since {@link #start}, in the order given. */
    long[] elapsedNanos() {
        long[] used = new long[pids.size()];
        for (int i = 0; i < pids.size(); i++) {
            used[i] = cpuNanos(pids.get(i)) - start[i];
        }
        return used;
    }

    private static long cpuNanos(long pid) {
        Optional<Duration> cpu = ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration());
        return cpu.orElseThrow(() -> new IllegalStateException("no CPU time for process " + pid
                + " (gone, or the platform does not report it)")).toNanos();
    }

    /**
     * What one measured interval cost per operation: each replica, and the client process; and
     * the operations per ordered seq (the mean batch, when every operation is ordered).
     */
    record PerOperation(List<Double> replicaMicros, double clientMicros, double operationsPerSeq) {
        static PerOperation of(long[] replicaNanos, long clientNanos, long operations, long seqs) {
            List<Double> replicas = new ArrayList<>();
            for (long nanos : replicaNanos) {
                replicas.add(micros(nanos, operations));
            }
            return new PerOperation(replicas, micros(clientNanos, operations), seqs == 0 ? 0 : (double) operations / seqs);
        }

        private static double micros(long nanos, long operations) {
            return operations == 0 ? 0 : nanos / 1e3 / operations;
        }

        double replicasTotal() {
            return replicaMicros.stream().mapToDouble(Double::doubleValue).sum();
        }

        String toText() {
            StringBuilder each = new StringBuilder();
            for (double m : replicaMicros) {
                each.append(each.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f", m));
            }
            return String.format(Locale.ROOT, "CPU per op: replicas %.1f µs (%s), client %.1f µs, all %.1f µs;"
                    + " %.1f ops per seq", replicasTotal(), each, clientMicros, replicasTotal() + clientMicros,
                    operationsPerSeq);
        }

        String toJson() {
            StringBuilder each = new StringBuilder();
            for (double m : replicaMicros) {
                each.append(each.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.2f", m));
            }
            return String.format(Locale.ROOT, "{\"replicas\":[%s],\"replicasTotal\":%.2f,\"client\":%.2f,"
                    + "\"operationsPerSeq\":%.2f}", each, replicasTotal(), clientMicros, operationsPerSeq);
        }
    }
}
