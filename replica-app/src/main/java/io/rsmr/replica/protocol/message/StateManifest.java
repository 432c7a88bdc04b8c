package io.rsmr.replica.protocol.message;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The layout of a checkpoint state: the SHA-256 of each of its chunks, in order, and how many
 * consecutive chunks make each part (part 0 is the protocol's metadata, the others the service's
 * parts). Its {@link #root()} is the digest a checkpoint certificate signs, so one verified
 * manifest lets a replica check every chunk on its own: a two-level hash tree.
 */
public record StateManifest(long seq, List<byte[]> chunkDigests, List<Integer> partChunks) implements Message {
    private static final byte[] DOMAIN = "rsmr-state-v1".getBytes(StandardCharsets.US_ASCII);

    public StateManifest {
        chunkDigests = List.copyOf(chunkDigests);
        partChunks = List.copyOf(partChunks);
        long sum = 0;
        for (int chunks : partChunks) {
            if (chunks < 1) {
                throw new IllegalArgumentException("a part has " + chunks + " chunks; every part has at least 1");
            }
            sum += chunks;
        }
        if (sum != chunkDigests.size()) {
            throw new IllegalArgumentException("parts add up to " + sum + " chunks but " + chunkDigests.size()
                    + " digests are listed");
        }
        for (byte[] d : chunkDigests) {
            if (d.length != Digests.DIGEST_BYTES) {
                throw new IllegalArgumentException("a chunk digest of " + d.length + " bytes");
            }
        }
    }

    /** SHA-256 over a domain tag, the part layout and every chunk digest: the certified state digest. */
    public byte[] root() {
        MessageDigest md = Digests.fresh();
        md.update(DOMAIN);
        updateInt(md, partChunks.size());
        for (int chunks : partChunks) {
            updateInt(md, chunks);
        }
        for (byte[] d : chunkDigests) {
            md.update(d);
        }
        return md.digest();
    }

    public int chunkCount() {
        return chunkDigests.size();
    }

    private static void updateInt(MessageDigest md, int value) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            md.update((byte) (value >>> shift));
        }
    }
}
