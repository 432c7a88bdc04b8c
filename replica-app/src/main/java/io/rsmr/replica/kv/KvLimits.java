package io.rsmr.replica.kv;

/**
 * Size limits of the key-value store, each checked when an operation is decoded.
 *
 * @param keyBytesMax longest key
 * @param valueBytesMax longest value
 * @param scanEntriesMax entries one scan returns at most
 * @param scanResultBytesMax key and value bytes one scan returns at most (fits a reply)
 * @param entriesMax keys the store holds at most; a put of a new key beyond it fails
 * @param snapshotParts hash buckets the state is cut into for checkpoints, at least: a replica whose
 *        state differs from the certified one in a few keys transfers only their buckets
 * @param snapshotPartsMax hash buckets at most: {@code snapshotParts} times a power of two (each
 *        is one entry of a checkpoint's manifest)
 * @param partBytesTarget bucket size the store keeps near as its state grows and shrinks (between
 *        half and twice it, within the bucket counts above), by doubling or halving the bucket count:
 *        a write re-encodes, re-hashes and re-stores its whole bucket at the next checkpoint, so
 *        smaller buckets cost less per write and more per manifest
 */
public record KvLimits(
        int keyBytesMax, int valueBytesMax, int scanEntriesMax, int scanResultBytesMax, int entriesMax,
        int snapshotParts, int snapshotPartsMax, int partBytesTarget) {
    public KvLimits {
        if (keyBytesMax < 1 || keyBytesMax > 0xffff || valueBytesMax < 0 || scanEntriesMax < 1
                || scanResultBytesMax < 1 || entriesMax < 1 || snapshotParts < 1 || partBytesTarget < 1
                || snapshotPartsMax < snapshotParts || snapshotPartsMax % snapshotParts != 0
                || Integer.bitCount(snapshotPartsMax / snapshotParts) != 1) {
            throw new IllegalArgumentException("inconsistent KV limits: " + this);
        }
    }

    /** Limits with a fixed number of buckets. */
    public KvLimits(int keyBytesMax, int valueBytesMax, int scanEntriesMax, int scanResultBytesMax, int entriesMax,
                    int snapshotParts) {
        this(keyBytesMax, valueBytesMax, scanEntriesMax, scanResultBytesMax, entriesMax, snapshotParts, snapshotParts,
                Integer.MAX_VALUE);
    }

    /**
     * Sized so that an operation fits a 64 KiB request and a scan a 64 KiB reply; 1,024 buckets up to
     * 128 MiB of state, then buckets of 64-128 KiB up to 2 GiB (16,384 buckets: a manifest of 512 KiB
     * of digests), larger beyond.
     */
    public static KvLimits defaults() {
        return new KvLimits(1024, 60 << 10, 1000, 60 << 10, 1_000_000, 1024, 16_384, 64 << 10);
    }

    /** Whether a snapshot of {@code count} parts can be this store's: snapshotParts times a power of two, at most the max. */
    boolean isPartCount(int count) {
        return count >= snapshotParts && count <= snapshotPartsMax && count % snapshotParts == 0
                && Integer.bitCount(count / snapshotParts) == 1;
    }
}
