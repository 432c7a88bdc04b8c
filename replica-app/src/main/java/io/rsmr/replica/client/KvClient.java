package io.rsmr.replica.client;

import io.rsmr.replica.kv.KvFormatException;
import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvOperation;
import io.rsmr.replica.kv.KvResult;
import java.util.concurrent.TimeoutException;

/**
 * Key-value operations over an {@link RsmrClient}. Get and scan take the read fast path (never
 * stale; ordered when the fast path does not answer); {@link #runOrdered} forces ordering. Thread-safe.
 */
public final class KvClient {
    private final RsmrClient client;
    private final KvLimits limits;

    public KvClient(RsmrClient client, KvLimits limits) {
        this.client = client;
        this.limits = limits;
    }

    public KvResult put(byte[] key, byte[] value) throws InterruptedException, TimeoutException {
        return run(new KvOperation.Put(key, value));
    }

    public KvResult get(byte[] key) throws InterruptedException, TimeoutException {
        return run(new KvOperation.Get(key));
    }

    public KvResult delete(byte[] key) throws InterruptedException, TimeoutException {
        return run(new KvOperation.Delete(key));
    }

    /** Sets {@code newValue} (null: deletes) if the value is {@code expected} (null: absent). */
    public KvResult compareAndSet(byte[] key, byte[] expected, byte[] newValue)
            throws InterruptedException, TimeoutException {
        return run(new KvOperation.CompareAndSet(key, expected, newValue));
    }

    /** Up to {@code limit} entries under {@code prefix} after {@code startAfter} (empty: from the start). */
    public KvResult scan(byte[] prefix, byte[] startAfter, int limit) throws InterruptedException, TimeoutException {
        return run(new KvOperation.Scan(prefix, startAfter, limit));
    }

    /** Runs an operation: reads (get, scan) on the fast path, everything else ordered. */
    public KvResult run(KvOperation operation) throws InterruptedException, TimeoutException {
        boolean readOnly = operation instanceof KvOperation.Get || operation instanceof KvOperation.Scan;
        return decode(readOnly ? client.invokeRead(operation.encode()) : client.invoke(operation.encode()));
    }

    /** Runs an operation through the ordering protocol, even a read. */
    public KvResult runOrdered(KvOperation operation) throws InterruptedException, TimeoutException {
        return decode(client.invoke(operation.encode()));
    }

    private KvResult decode(byte[] result) {
        try {
            return KvResult.decode(result, limits);
        } catch (KvFormatException e) {
            // k'+1 replicas (or more) agreed on these bytes, so at least one correct replica produced them.
            throw new IllegalStateException("the cluster returned a result this client cannot read: " + e.getMessage(), e);
        }
    }
}
