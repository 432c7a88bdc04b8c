package io.rsmr.replica.bench;

import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvOperation;
import io.rsmr.replica.kv.KvService;
import io.rsmr.replica.service.Service;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * How much heap the reference key-value store needs per byte of state, in one JVM: after writing
 * {@code --state-mb} MB of {@code --value-bytes} values and taking a checkpoint (the parts a replica
 * keeps), and after installing those parts into a fresh store (what a recovering replica holds).
 * Prints one line of JSON.
 *
 * <pre>
 * java -Xmx2g -cp rsmr-replica.jar io.rsmr.replica.bench.KvHeapBenchmark --state-mb 200 --value-bytes 60000
 * </pre>
 */
public final class KvHeapBenchmark {
    /** Collections run before reading the heap, so that only live objects count. */
    private static final int COLLECTIONS = 5;

    private KvHeapBenchmark() {}

    public static void main(String[] args) {
        Map<String, String> options = ClusterBenchmark.options(args);
        long stateBytes = Long.parseLong(options.getOrDefault("state-mb", "200")) * 1_000_000L;
        int valueBytes = Integer.parseInt(options.getOrDefault("value-bytes", "60000"));
        long before = liveHeapBytes();
        KvService written = new KvService(KvLimits.defaults());
        int keys = (int) (stateBytes / valueBytes);
        Random random = new Random(1);
        byte[] value = new byte[valueBytes];
        for (int i = 0; i < keys; i++) {
            random.nextBytes(value);
            written.execute(new KvOperation.Put(("key-" + i).getBytes(StandardCharsets.UTF_8), value).encode());
        }
        List<byte[]> parts = written.snapshotParts();
        long afterWrites = liveHeapBytes() - before;
        List<byte[]> fetched = new ArrayList<>(parts.size());
        parts.forEach(part -> fetched.add(part.clone()));
        parts = null;
        written = null;
        KvService installed = new KvService(KvLimits.defaults());
        Service.PartInstall install = installed.beginInstall(fetched.size());
        fetched.forEach(install::add);
        install.commit();
        fetched.clear();
        long afterInstall = liveHeapBytes() - before;
        if (installed.size() != keys) {
            throw new IllegalStateException("installed " + installed.size() + " keys of " + keys);
        }
        double state = (double) keys * valueBytes;
        System.out.printf("{\"measure\":\"kv-heap\",\"stateBytes\":%d,\"keys\":%d,\"heapAfterWritesMB\":%.1f,"
                        + "\"heapPerStateByteAfterWrites\":%.2f,\"heapAfterInstallMB\":%.1f,\"heapPerStateByteAfterInstall\":%.2f}%n",
                (long) state, keys, afterWrites / 1e6, afterWrites / state, afterInstall / 1e6, afterInstall / state);
    }

    private static long liveHeapBytes() {
        for (int i = 0; i < COLLECTIONS; i++) {
            System.gc();
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
