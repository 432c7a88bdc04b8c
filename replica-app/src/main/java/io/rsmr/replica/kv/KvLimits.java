package io.rsmr.replica.kv;

/**
 * Size limits of the key-value store, each checked when an operation is decoded.
 *
 * @param keyBytesMax longest key
 * @param valueBytesMax longest value
 * @param scanEntriesMax entries one scan returns at most
 * @param scanResultBytesMax key and value bytes one scan returns at most (fits a reply)
 * @param entriesMax keys the store holds at most; a put of a new key beyond it fails
 * @param snapshotParts hash buckets the state is cut into for checkpoints: a replica whose state
 *        differs from the certified one in a few keys transfers only their buckets
 */
public record KvLimits(
        int keyBytesMax, int valueBytesMax, int scanEntriesMax, int scanResultBytesMax, int entriesMax,
        int snapshotParts) {
    public KvLimits {
        if (keyBytesMax < 1 || keyBytesMax > 0xffff || valueBytesMax < 0 || scanEntriesMax < 1
                || scanResultBytesMax < 1 || entriesMax < 1 || snapshotParts < 1) {
            throw new IllegalArgumentException("inconsistent KV limits: " + this);
        }
    }

    /** Sized so that an operation fits a 64 KiB request and a scan a 64 KiB reply. */
    public static KvLimits defaults() {
        return new KvLimits(1024, 60 << 10, 1000, 60 << 10, 1_000_000, 1024);
    }
}
