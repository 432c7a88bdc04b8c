package io.rsmr.replica.kv;

import io.rsmr.replica.service.Service;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The replicated key-value store: byte-string keys in unsigned lexicographic order (a TreeMap,
 * so iteration order — and thus scans, snapshots and digests — is the same on every replica).
 * A malformed operation yields an {@link KvResult.Error}, never an exception.
 *
 * <p>Snapshot: {@code "RSKV1"}, entry count (i32), then per entry key (u16 length) and value
 * (i32 length), in key order. The state digest is SHA-256 of the snapshot, so equal states give
 * equal digests and the digest of an installed snapshot is checked by recomputing it.
 *
 * <p>Snapshot parts (what checkpoints and state transfer use): hash buckets of the keys
 * ({@link Arrays#hashCode(byte[])}, which the Java specification fixes), each encoded like a
 * snapshot without the magic; their number doubles or halves with the state's size, so that a
 * bucket stays near {@link KvLimits#partBytesTarget}. A bucket's encoding is cached until a write touches it, so a
 * checkpoint re-encodes only the buckets written since the last one, and the core re-hashes only
 * those.
 *
 * <p>Memory: the state lives in the heap about once. A value is a {@link Slice} of its bucket's
 * encoding (installed parts are parsed without copying values; a re-encoded bucket's values are
 * pointed into the new encoding), so the map adds only keys and small objects to the parts the
 * checkpoints hold anyway. Only values written since the last checkpoint have arrays of their own.
 */
public final class KvService implements Service {
    private static final byte[] SNAPSHOT_MAGIC = {'R', 'S', 'K', 'V', '1'};

    private final KvLimits limits;
    private TreeMap<Key, Slice> entries = new TreeMap<>();
    private long entryBytes;
    /**
     * Encoded bucket per part index; null once a write touched the bucket. How many there are
     * follows the state's size ({@link #resizeIfNeeded}).
     */
    private byte[][] parts;

    public KvService(KvLimits limits) {
        this.limits = limits;
        this.parts = new byte[limits.snapshotParts()][];
    }

    /** A key ordered by unsigned bytes. */
    private record Key(byte[] bytes) implements Comparable<Key> {
        @Override
        public int compareTo(Key other) {
            return Arrays.compareUnsigned(bytes, other.bytes);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key && Arrays.equals(bytes, ((Key) other).bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    @Override
    public List<byte[]> executeBatch(List<byte[]> operations) {
        List<byte[]> results = new ArrayList<>(operations.size());
        for (byte[] operation : operations) {
            results.add(execute(operation).encode());
        }
        return results;
    }

    /** Get and scan only read; a malformed operation is not (the ordered path answers it). */
    @Override
    public boolean isReadOnly(byte[] operation) {
        return readOnly(operation) != null;
    }

    @Override
    public byte[] executeReadOnly(byte[] operation) {
        KvOperation op = readOnly(operation);
        if (op == null) {
            throw new IllegalArgumentException("not a read-only key-value operation");
        }
        return apply(op).encode();
    }

    private KvOperation readOnly(byte[] operation) {
        try {
            KvOperation op = KvOperation.decode(operation, limits);
            return op instanceof KvOperation.Get || op instanceof KvOperation.Scan ? op : null;
        } catch (KvFormatException e) {
            return null;
        }
    }

    /** Executes one encoded operation. */
    public KvResult execute(byte[] operation) {
        try {
            return apply(KvOperation.decode(operation, limits));
        } catch (KvFormatException e) {
            return new KvResult.Error(e.getMessage());
        }
    }

    public KvResult apply(KvOperation operation) {
        if (operation instanceof KvOperation.Put put) {
            return put(new Key(put.key()), put.value());
        }
        if (operation instanceof KvOperation.Get get) {
            Slice value = entries.get(new Key(get.key()));
            return value == null ? new KvResult.NotFound() : new KvResult.Value(value.copy());
        }
        if (operation instanceof KvOperation.Delete delete) {
            return remove(new Key(delete.key())) ? new KvResult.Ok() : new KvResult.NotFound();
        }
        if (operation instanceof KvOperation.CompareAndSet cas) {
            return compareAndSet(cas);
        }
        if (operation instanceof KvOperation.Echo echo) {
            return new KvResult.Value(new byte[echo.replyBytes()]);
        }
        return scan((KvOperation.Scan) operation);
    }

    public int size() {
        return entries.size();
    }

    private KvResult put(Key key, byte[] value) {
        if (!entries.containsKey(key) && entries.size() >= limits.entriesMax()) {
            return new KvResult.Error("store full: " + limits.entriesMax() + " keys");
        }
        Slice old = entries.put(key, Slice.of(value));
        entryBytes += value.length - (old == null ? -key.bytes().length : old.length());
        parts[partOf(key.bytes())] = null;
        resizeIfNeeded();
        return new KvResult.Ok();
    }

    private boolean remove(Key key) {
        Slice old = entries.remove(key);
        if (old != null) {
            entryBytes -= key.bytes().length + old.length();
            parts[partOf(key.bytes())] = null;
            resizeIfNeeded();
        }
        return old != null;
    }

    private KvResult compareAndSet(KvOperation.CompareAndSet cas) {
        Key key = new Key(cas.key());
        Slice current = entries.get(key);
        if (current == null ? cas.expected() != null : !current.contentEquals(cas.expected())) {
            return new KvResult.CasFailed(current == null ? null : current.copy());
        }
        if (cas.newValue() == null) {
            remove(key);
            return new KvResult.Ok();
        }
        return put(key, cas.newValue());
    }

    private KvResult scan(KvOperation.Scan scan) {
        Key from = new Key(scan.startAfter().length > 0 ? scan.startAfter() : scan.prefix());
        boolean inclusive = scan.startAfter().length == 0;
        List<KvResult.Entry> found = new ArrayList<>();
        int bytes = 0;
        for (Map.Entry<Key, Slice> entry : entries.tailMap(from, inclusive).entrySet()) {
            byte[] key = entry.getKey().bytes();
            if (!startsWith(key, scan.prefix())) {
                return new KvResult.Entries(found, false);
            }
            bytes += key.length + entry.getValue().length();
            if (found.size() == scan.limit() || bytes > limits.scanResultBytesMax()) {
                return new KvResult.Entries(found, true);
            }
            found.add(new KvResult.Entry(key, entry.getValue().copy()));
        }
        return new KvResult.Entries(found, false);
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public byte[] snapshot() {
        long size = SNAPSHOT_MAGIC.length + 4L + entries.size() * 6L + entryBytes;
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("state of " + size + " bytes does not fit one snapshot");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).put(SNAPSHOT_MAGIC).putInt(entries.size());
        entries.forEach((key, value) -> value.writeTo(out.putShort((short) key.bytes().length).put(key.bytes())));
        assert !out.hasRemaining() : "snapshot size computed wrong";
        return out.array();
    }

    @Override
    public void installSnapshot(byte[] snapshot) {
        try {
            TreeMap<Key, Slice> installed = parse(snapshot);
            entries = installed;
            entryBytes = snapshot.length - SNAPSHOT_MAGIC.length - 4L - installed.size() * 6L;
            parts = new byte[limits.snapshotParts()][];
            resizeIfNeeded();
        } catch (KvFormatException e) {
            throw new IllegalArgumentException("invalid KV snapshot: " + e.getMessage(), e);
        }
    }

    private int partOf(byte[] key) {
        return partOf(key, parts.length);
    }

    private static int partOf(byte[] key, int partCount) {
        return Math.floorMod(Arrays.hashCode(key), partCount);
    }

    /**
     * Keeps the buckets between half and twice {@link KvLimits#partBytesTarget} on average (within
     * the bucket counts allowed) by doubling or halving their number; every bucket is then encoded
     * anew at the next checkpoint, a cost that, as for a growing hash table, amounts to a few
     * re-encodings of each byte written. Called after every write, so the count is a function of
     * the sequence of operations alone: the same on every replica. An install takes the count of
     * the installed checkpoint (it was the senders' count at that seq).
     */
    private void resizeIfNeeded() {
        int count = parts.length;
        long target = limits.partBytesTarget();
        while (count < limits.snapshotPartsMax() && entryBytes > 2 * target * count) {
            count *= 2;
        }
        while (count > limits.snapshotParts() && entryBytes < target * count / 2) {
            count /= 2;
        }
        if (count != parts.length) {
            parts = new byte[count][];
        }
    }

    @Override
    public List<byte[]> snapshotParts() {
        List<List<Map.Entry<Key, Slice>>> dirty = new ArrayList<>(parts.length);
        boolean anyDirty = false;
        for (byte[] part : parts) {
            dirty.add(part == null ? new ArrayList<>() : null);
            anyDirty |= part == null;
        }
        if (anyDirty) {
            for (Map.Entry<Key, Slice> entry : entries.entrySet()) {
                List<Map.Entry<Key, Slice>> bucket = dirty.get(partOf(entry.getKey().bytes()));
                if (bucket != null) {
                    bucket.add(entry);
                }
            }
            for (int i = 0; i < parts.length; i++) {
                if (parts[i] == null) {
                    parts[i] = encodePart(dirty.get(i));
                }
            }
        }
        return List.of(parts.clone());
    }

    /**
     * Encodes a bucket and points its values into the new array, so that the arrays they lived in
     * (a client's request, an older encoding) can go: the values are kept once, in the parts.
     */
    private static byte[] encodePart(List<Map.Entry<Key, Slice>> bucket) {
        long size = 4;
        for (Map.Entry<Key, Slice> e : bucket) {
            size += 6L + e.getKey().bytes().length + e.getValue().length();
        }
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("a snapshot part of " + size + " bytes; use more snapshotParts");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).putInt(bucket.size());
        byte[] part = out.array();
        for (Map.Entry<Key, Slice> e : bucket) {
            out.putShort((short) e.getKey().bytes().length).put(e.getKey().bytes());
            int valueAt = out.position() + 4;
            e.getValue().writeTo(out);
            e.setValue(Slice.in(part, valueAt, e.getValue().length()));
        }
        assert !out.hasRemaining() : "part size computed wrong";
        return part;
    }

    /**
     * Parses each part into a new map as it comes and swaps it in at commit: the old state stays
     * whole until then. This service keeps its state in the heap (the installed part arrays
     * themselves, no copy: the map's values point into them); a service that keeps it on disk would
     * write each part through instead.
     */
    @Override
    public PartInstall beginInstall(int partCount) {
        if (!limits.isPartCount(partCount)) {
            throw new IllegalArgumentException("invalid KV snapshot: " + partCount + " parts, this store takes "
                    + limits.snapshotParts() + " times a power of two, at most " + limits.snapshotPartsMax()
                    + " (snapshotParts, snapshotPartsMax)");
        }
        return new PartInstall() {
            private TreeMap<Key, Slice> installed = new TreeMap<>();
            private byte[][] encoded = new byte[partCount][];
            /** Parts that are our own current encoding (the same array): their entries are shared, not parsed. */
            private boolean[] ours = new boolean[partCount];
            private int added;
            private long bytes;

            @Override
            public void add(byte[] part) {
                if (installed == null) {
                    throw new IllegalStateException("this install was committed or aborted");
                }
                if (added == encoded.length) {
                    throw new IllegalArgumentException("invalid KV snapshot: more than " + encoded.length + " parts");
                }
                byte[] current = parts.length == partCount ? parts[added] : null;
                ours[added] = current != null && (part == current || Arrays.equals(part, current));
                if (ours[added]) {
                    part = current;
                } else {
                    parse(part, added);
                }
                encoded[added++] = part;
            }

            private void parse(byte[] part, int index) {
                try {
                    bytes += parsePart(part, index, partCount, installed);
                } catch (KvFormatException e) {
                    throw new IllegalArgumentException("invalid KV snapshot: " + e.getMessage(), e);
                }
            }

            /**
             * A state mostly equal to ours (a replica that fetched a newer checkpoint) costs no second
             * copy of its values: a part equal to our current encoding of it keeps our entries and our
             * array (the one given is dropped); one a write touched between add and commit (or all,
             * when a write changed the bucket count) is parsed after all.
             */
            private void shareOurs() {
                boolean sameBuckets = parts.length == partCount;
                for (int i = 0; i < partCount; i++) {
                    if (ours[i] && (!sameBuckets || parts[i] != encoded[i])) {
                        ours[i] = false;
                        parse(encoded[i], i);
                    }
                }
                for (Map.Entry<Key, Slice> e : entries.entrySet()) {
                    if (ours[partOf(e.getKey().bytes(), partCount)]) {
                        installed.put(e.getKey(), e.getValue());
                        bytes += e.getKey().bytes().length + e.getValue().length();
                    }
                }
            }

            @Override
            public void commit() {
                if (installed == null) {
                    throw new IllegalStateException("this install was committed or aborted");
                }
                if (added != encoded.length) {
                    throw new IllegalArgumentException("invalid KV snapshot: " + added + " of " + encoded.length
                            + " parts");
                }
                shareOurs();
                entries = installed;
                entryBytes = bytes;
                parts = encoded;
                abort();
            }

            @Override
            public void abort() {
                installed = null;
                encoded = null;
                ours = null;
            }
        };
    }

    /** Adds a part's entries, their values pointing into {@code part}; returns their key and value bytes. */
    private long parsePart(byte[] part, int index, int partCount, TreeMap<Key, Slice> into) throws KvFormatException {
        ByteBuffer in = ByteBuffer.wrap(part);
        if (in.remaining() < 4) {
            throw new KvFormatException("part " + index + " is truncated");
        }
        int count = in.getInt();
        if (count < 0 || into.size() + (long) count > limits.entriesMax()) {
            throw new KvFormatException("part " + index + " entry count " + count + " exceeds entriesMax "
                    + limits.entriesMax());
        }
        long bytes = 0;
        Key previous = null;
        for (int i = 0; i < count; i++) {
            Key key = new Key(Bytes.read(in, 2, limits.keyBytesMax(), "part " + index + " key " + i));
            if (previous != null && previous.compareTo(key) >= 0 || partOf(key.bytes(), partCount) != index) {
                throw new KvFormatException("part " + index + " key " + i + " out of order or in the wrong part");
            }
            Slice value = Slice.read(in, limits.valueBytesMax(), "part " + index + " value " + i);
            into.put(key, value);
            bytes += key.bytes().length + value.length();
            previous = key;
        }
        Bytes.expectEnd(in, "part " + index);
        return bytes;
    }

    private TreeMap<Key, Slice> parse(byte[] snapshot) throws KvFormatException {
        ByteBuffer in = ByteBuffer.wrap(snapshot);
        byte[] magic = new byte[SNAPSHOT_MAGIC.length];
        if (in.remaining() < magic.length + 4 || !Arrays.equals(in.get(magic).array(), 0, magic.length, SNAPSHOT_MAGIC, 0, magic.length)) {
            throw new KvFormatException("not a KV snapshot (bad magic)");
        }
        int count = in.getInt();
        if (count < 0 || count > limits.entriesMax()) {
            throw new KvFormatException("entry count " + count + " outside [0, " + limits.entriesMax() + "]");
        }
        TreeMap<Key, Slice> parsed = new TreeMap<>();
        Key previous = null;
        for (int i = 0; i < count; i++) {
            Key key = new Key(Bytes.read(in, 2, limits.keyBytesMax(), "key " + i));
            if (previous != null && previous.compareTo(key) >= 0) {
                throw new KvFormatException("key " + i + " out of order");
            }
            parsed.put(key, Slice.read(in, limits.valueBytesMax(), "value " + i));
            previous = key;
        }
        Bytes.expectEnd(in, "snapshot");
        return parsed;
    }

    @Override
    public byte[] stateDigest() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(snapshot());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
