package io.rsmr.replica.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
 *
 * <p>Each process's CPU time is also split off for its JIT compiler threads (Linux: the threads
 * {@code /proc/PID/task/TID/comm} names "C1/C2 CompilerThread"): in a run of a few tens of seconds
 * they still compile, each replica JVM the same code, so at n = 6 that fixed cost is spread over
 * more JVMs and fewer operations each, and would otherwise read as protocol cost.
 */
final class CpuSampler {
    /** Linux's USER_HZ: the unit of the tick counts in /proc/PID/task/TID/stat. */
    private static final long NANOS_PER_CLOCK_TICK = 10_000_000L;

    private final List<Long> pids;
    private final long[] start;
    private final long[] startJit;

    private CpuSampler(List<Long> pids) {
        this.pids = List.copyOf(pids);
        this.start = new long[pids.size()];
        this.startJit = new long[pids.size()];
    }

    /** Starts measuring the given processes now. */
    static CpuSampler start(List<Long> pids) {
        CpuSampler sampler = new CpuSampler(pids);
        for (int i = 0; i < pids.size(); i++) {
            sampler.start[i] = cpuNanos(pids.get(i));
            sampler.startJit[i] = jitNanos(pids.get(i));
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
                result.complete(new Interval(sampler.elapsedNanos(), sampler.elapsedJitNanos(), counter.getAsLong() - counted));
            } catch (InterruptedException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, "cpu-sampler");
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    /**
     * What {@link #over} measured: CPU nanoseconds per process (in the order given), of which its
     * JIT compiler threads used jitNanos, and the counter's growth.
     */
    record Interval(long[] cpuNanos, long[] jitNanos, long counted) {
    }

    /** CPU nanoseconds each process used since {@link #start}, in the order given. */
    long[] elapsedNanos() {
        long[] used = new long[pids.size()];
        for (int i = 0; i < pids.size(); i++) {
            used[i] = cpuNanos(pids.get(i)) - start[i];
        }
        return used;
    }

    /** JIT compiler threads' CPU nanoseconds each process used since {@link #start}, in the order given. */
    long[] elapsedJitNanos() {
        long[] used = new long[pids.size()];
        for (int i = 0; i < pids.size(); i++) {
            used[i] = jitNanos(pids.get(i)) - startJit[i];
        }
        return used;
    }

    /**
     * CPU time of the process's JIT compiler threads so far; 0 where /proc does not list threads
     * (another platform). A compiler thread that ends between two samples takes its time along,
     * which only makes the JIT share read lower.
     */
    static long jitNanos(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return 0;
        }
        long ticks = 0;
        try (var threads = Files.list(tasks)) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                ticks += compilerTicks(thread);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the threads of process " + pid, e);
        }
        return ticks * NANOS_PER_CLOCK_TICK;
    }

    /** utime + stime of one thread if it is a JIT compiler thread, else 0 (also when it just ended). */
    private static long compilerTicks(Path thread) throws IOException {
        try {
            String name = Files.readString(thread.resolve("comm")).strip();
            if (!name.startsWith("C1 Compiler") && !name.startsWith("C2 Compiler")) {
                return 0;
            }
            String stat = Files.readString(thread.resolve("stat"));
            // fields after the parenthesised name: state is field 3, utime 14 and stime 15
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (NoSuchFileException gone) {
            return 0;
        }
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
    record PerOperation(List<Double> replicaMicros, double replicaJitMicros, double clientMicros, double operationsPerSeq) {
        static PerOperation of(long[] replicaNanos, long replicaJitNanos, long clientNanos, long operations, long seqs) {
            List<Double> replicas = new ArrayList<>();
            for (long nanos : replicaNanos) {
                replicas.add(micros(nanos, operations));
            }
            return new PerOperation(replicas, micros(replicaJitNanos, operations), micros(clientNanos, operations),
                    seqs == 0 ? 0 : (double) operations / seqs);
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
            return String.format(Locale.ROOT, "CPU per op: replicas %.1f µs (%s; JIT compiler threads %.1f), client %.1f µs,"
                    + " all %.1f µs; %.1f ops per seq", replicasTotal(), each, replicaJitMicros, clientMicros,
                    replicasTotal() + clientMicros, operationsPerSeq);
        }

        String toJson() {
            StringBuilder each = new StringBuilder();
            for (double m : replicaMicros) {
                each.append(each.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.2f", m));
            }
            return String.format(Locale.ROOT, "{\"replicas\":[%s],\"replicasTotal\":%.2f,\"replicasJit\":%.2f,"
                    + "\"client\":%.2f,\"operationsPerSeq\":%.2f}", each, replicasTotal(), replicaJitMicros, clientMicros,
                    operationsPerSeq);
        }
    }
}
