package io.rsmr.common.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Checks golden files against a signed manifest: first the operator's signature over the manifest,
 * then each file's size and its chunk digests, hashed on all cores ({@link ChunkedDigest}). The
 * whole-file SHA-256 in the manifest is for people and other tools: the chunk digests, which the
 * signature covers as well, say the same about the file and can be checked in parallel. The agent
 * runs this before every boot and {@code rsmr image verify} runs the same code.
 */
public final class ImageVerifier {
    private ImageVerifier() {
    }

    /** What checking one golden file found. */
    public enum Status { OK, MISSING, WRONG_SIZE, WRONG_DIGEST, UNREADABLE }

    /**
     * @param actualSha256 the chunk root computed when the file matches, the bad chunk's digest when
     *                     one differs, else null (the file was not hashed, or a chunk is missing)
     * @param mismatch     the first chunk found that differs from the manifest (WRONG_DIGEST only)
     * @param nanos        time spent on this file
     */
    public record FileCheck(String name, Path path, Status status, byte[] actualSha256, long bytes, long nanos,
                            String detail, Optional<ChunkedDigest.Mismatch> mismatch) {
        public boolean ok() {
            return status == Status.OK;
        }

        /** Bytes per second hashed, for the benchmark and the logs. */
        public double bytesPerSecond() {
            return nanos == 0 ? 0 : bytes * 1e9 / nanos;
        }
    }

    /** Reads the manifest and its signature and checks the signature; the exception says which fault. */
    public static ImageManifest verifiedManifest(Path manifest, Path signature, byte[] operatorPublicKey)
            throws ImageException {
        ImageManifest m = ImageManifest.read(manifest);
        ManifestSignature s = ManifestSignature.read(signature);
        if (!s.verify(operatorPublicKey, m.raw())) {
            throw new ImageException(manifest + ": invalid signature in " + signature + ": " + s.mismatchReason(m.raw()));
        }
        return m;
    }

    /** Checks {@code file} once, on threads and buffers of its own: see {@link #check(ChunkedDigest, ImageManifest.Entry, Path)}. */
    public static FileCheck check(ImageManifest.Entry entry, Path file) throws InterruptedException {
        try (ChunkedDigest digests = new ChunkedDigest()) {
            return check(digests, entry, file);
        }
    }

    /**
     * Checks {@code file} against {@code entry}: size first (cheap), then the chunk digests, on the
     * threads and buffers of {@code digests} (the agent keeps one for all its checks). Never throws on I/O.
     */
    public static FileCheck check(ChunkedDigest digests, ImageManifest.Entry entry, Path file) throws InterruptedException {
        long start = System.nanoTime();
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            return failed(entry, file, Status.MISSING, 0, start, "no such file");
        } catch (IOException e) {
            return failed(entry, file, Status.UNREADABLE, 0, start, e.toString());
        }
        if (size != entry.bytes()) {
            return failed(entry, file, Status.WRONG_SIZE, size, start, size + " bytes, the manifest says " + entry.bytes());
        }
        Optional<ChunkedDigest.Mismatch> bad;
        try {
            bad = digests.check(file, entry.chunks());
        } catch (IOException e) {
            return failed(entry, file, Status.UNREADABLE, 0, start, e.toString());
        }
        long nanos = System.nanoTime() - start;
        if (bad.isPresent()) {
            ChunkedDigest.Mismatch m = bad.get();
            return new FileCheck(entry.name(), file, Status.WRONG_DIGEST, m.actual(), size, nanos,
                    m.describe() + " (chunks of " + entry.chunks().chunkBytes() + " bytes)", bad);
        }
        return new FileCheck(entry.name(), file, Status.OK, entry.chunks().root(), size, nanos,
                "chunk root " + entry.chunkRootHex() + " (" + ChunkedDigest.Chunks.count(size, entry.chunks().chunkBytes()) + " chunks of "
                        + entry.chunks().chunkBytes() + " bytes)", Optional.empty());
    }

    private static FileCheck failed(ImageManifest.Entry entry, Path file, Status status, long bytes, long start, String detail) {
        return new FileCheck(entry.name(), file, status, null, bytes, System.nanoTime() - start, detail, Optional.empty());
    }
}
