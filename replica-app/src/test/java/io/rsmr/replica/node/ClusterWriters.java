package io.rsmr.replica.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import io.rsmr.replica.client.KvClient;
import io.rsmr.replica.kv.KvResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/**
 * Closed-loop writers for the multi-process tests: writer w puts keys {@code w<w>-<n>} one after the
 * other and remembers each acknowledged write, so a test can read every one of them back later.
 */
final class ClusterWriters {
    /** Longest wait of one test phase. */
    static final long PHASE_MILLIS_MAX = 60_000;

    private final BiFunction<Integer, Integer, byte[]> values;
    private final Map<String, byte[]> acknowledged = new ConcurrentHashMap<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    /** @param values the value writer w puts as its i-th write */
    ClusterWriters(BiFunction<Integer, Integer, byte[]> values) {
        this.values = values;
    }

    void start(KvClient kv, int writers) {
        writing.set(true);
        for (int t = 0; t < writers; t++) {
            int writer = t;
            Thread thread = new Thread(() -> write(kv, writer), "writer-" + t);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
    }

    /** Stops the writers and waits for their last request; the next start continues their keys anew. */
    void stop() throws InterruptedException {
        writing.set(false);
        for (Thread thread : threads) {
            thread.join(PHASE_MILLIS_MAX);
        }
        threads.clear();
    }

    Map<String, byte[]> acknowledged() {
        return acknowledged;
    }

    void awaitAcknowledged(int count, String what) throws InterruptedException {
        await(what + " (" + count + " writes acknowledged)", () -> acknowledged.size() >= count);
    }

    /** Reads every acknowledged write back: it must be there with its value. */
    void assertAllReadable(KvClient kv) throws Exception {
        for (Map.Entry<String, byte[]> write : acknowledged.entrySet()) {
            KvResult read = kv.get(bytes(write.getKey()));
            assertInstanceOf(KvResult.Value.class, read, "acknowledged write of " + write.getKey() + " lost");
            assertArrayEquals(write.getValue(), ((KvResult.Value) read).value(), write.getKey());
        }
    }

    private void write(KvClient kv, int writer) {
        String run = Long.toString(System.nanoTime(), 36);
        for (int i = 0; writing.get(); i++) {
            String key = "w" + writer + "-" + run + "-" + String.format("%06d", i);
            byte[] value = values.apply(writer, i);
            try {
                KvResult result = kv.put(bytes(key), value);
                assertInstanceOf(KvResult.Ok.class, result, key);
                acknowledged.put(key, value);
            } catch (TimeoutException e) {
                // Unacknowledged: it may or may not have been applied; nothing is promised.
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + PHASE_MILLIS_MAX;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out after " + PHASE_MILLIS_MAX + " ms waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
