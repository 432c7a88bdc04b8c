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
 * What the reference key-value store costs per byte of state, in one JVM, deterministically:
 * <ol>
 * <li>heap: the live heap (after 5 collections) per state byte after writing {@code --state-mb} MB of
 *     {@code --value-bytes} values and taking a checkpoint's parts (what a replica keeps), and after
 *     installing copies of those parts into a fresh store (what a recovering replica holds);</li>
 * <li>write amplification: after {@code --small-writes} 16-byte values written under new keys (which
 *     fall into random buckets), the bytes of the parts the next checkpoint re-encodes (and the core then
 *     hashes and stores), per write.</li>
 * </ol>
 * Prints one line of JSON.
 *
 * <pre>
 * java -Xmx3g -cp rsmr-replica.jar io.rsmr.replica.bench.KvStoreBenchmark --state-mb 1000 --value-bytes 60000 \
 *      --small-writes 2000
 * </pre>
 */
public final class KvStoreBenchmark {
    /** Collections run before reading the heap, so that only live objects count. */
    private static final int COLLECTIONS = 5;
    private static final int SMALL_VALUE_BYTES = 16;

    private KvStoreBenchmark() {}

    public static void main(String[] args) {
        Map<String, String> options = ClusterBenchmark.options(args);
        long stateBytes = Long.parseLong(options.getOrDefault("state-mb", "200")) * 1_000_000L;
        int valueBytes = Integer.parseInt(options.getOrDefault("value-bytes", "60000"));
        int smallWrites = Integer.parseInt(options.getOrDefault("small-writes", "2000"));
        long before = liveHeapBytes();
        KvService written = new KvService(KvLimits.defaults());
        int keys = (int) (stateBytes / valueBytes);
        Random random = new Random(1);
        byte[] value = new byte[valueBytes];
        for (int i = 0; i < keys; i++) {
            random.nextBytes(value);
            written.execute(new KvOperation.Put(key(i), value).encode());
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
        long reencoded = reencodedBytes(installed, smallWrites);
        double state = (double) keys * valueBytes;
        System.out.printf("{\"measure\":\"kv-store\",\"stateBytes\":%d,\"keys\":%d,\"parts\":%d,"
                        + "\"heapAfterWritesMB\":%.1f,\"heapPerStateByteAfterWrites\":%.2f,"
                        + "\"heapAfterInstallMB\":%.1f,\"heapPerStateByteAfterInstall\":%.2f,"
                        + "\"smallWrites\":%d,\"checkpointReencodedMB\":%.1f,\"reencodedBytesPerWrite\":%d}%n",
                (long) state, keys, installed.snapshotParts().size(), afterWrites / 1e6, afterWrites / state,
                afterInstall / 1e6, afterInstall / state, smallWrites, reencoded / 1e6,
                reencoded / Math.max(1, smallWrites));
    }

    /** Bytes of the parts that changed from one checkpoint to the next across {@code writes} small writes. */
    private static long reencodedBytes(KvService kv, int writes) {
        List<byte[]> before = kv.snapshotParts();
        for (int i = 0; i < writes; i++) {
            byte[] key = ("small-" + i).getBytes(StandardCharsets.UTF_8);
            kv.execute(new KvOperation.Put(key, new byte[SMALL_VALUE_BYTES]).encode());
        }
        List<byte[]> after = kv.snapshotParts();
        long bytes = 0;
        for (int i = 0; i < after.size(); i++) {
            bytes += i < before.size() && before.get(i) == after.get(i) ? 0 : after.get(i).length;
        }
        return bytes;
    }

    private static byte[] key(int i) {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static long liveHeapBytes() {
        for (int i = 0; i < COLLECTIONS; i++) {
            System.gc();
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
