package io.rsmr.common.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Checks golden files against a signed manifest: first the operator's signature over the manifest,
 * then each file's size and streamed SHA-256. The agent runs this before every boot and
 * {@code rsmr image verify} runs the same code.
 */
public final class ImageVerifier {
    private ImageVerifier() {
    }

    /** What checking one golden file found. */
    public enum Status { OK, MISSING, WRONG_SIZE, WRONG_DIGEST, UNREADABLE }

    /**
     * @param actualSha256 the digest computed (null when the file was not hashed)
     * @param nanos        time spent on this file
     */
    public record FileCheck(String name, Path path, Status status, byte[] actualSha256, long bytes, long nanos,
                            String detail) {
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

    /** Checks {@code file} against {@code entry}: size first (cheap), then the digest. Never throws on I/O. */
    public static FileCheck check(ImageManifest.Entry entry, Path file) throws InterruptedException {
        long start = System.nanoTime();
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            return new FileCheck(entry.name(), file, Status.MISSING, null, 0, System.nanoTime() - start, "no such file");
        } catch (IOException e) {
            return new FileCheck(entry.name(), file, Status.UNREADABLE, null, 0, System.nanoTime() - start, e.toString());
        }
        if (size != entry.bytes()) {
            return new FileCheck(entry.name(), file, Status.WRONG_SIZE, null, size, System.nanoTime() - start,
                    size + " bytes, the manifest says " + entry.bytes());
        }
        FileDigest.Result r;
        try {
            r = FileDigest.sha256(file);
        } catch (IOException e) {
            return new FileCheck(entry.name(), file, Status.UNREADABLE, null, 0, System.nanoTime() - start, e.toString());
        }
        long nanos = System.nanoTime() - start;
        if (!MessageDigest.isEqual(r.sha256(), entry.sha256()) || r.bytes() != entry.bytes()) {
            return new FileCheck(entry.name(), file, Status.WRONG_DIGEST, r.sha256(), r.bytes(), nanos,
                    "sha256 " + HexFormat.of().formatHex(r.sha256()) + ", the manifest says " + entry.sha256Hex());
        }
        return new FileCheck(entry.name(), file, Status.OK, r.sha256(), r.bytes(), nanos, "sha256 " + entry.sha256Hex());
    }
}
