package io.rsmr.agent.rejuvenation;

import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.common.config.Images;
import io.rsmr.common.image.ChunkedDigest;
import io.rsmr.common.image.ImageException;
import io.rsmr.common.image.ImageManifest;
import io.rsmr.common.image.ImageVerifier;
import io.rsmr.common.image.ImageVerifier.FileCheck;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The golden code of this host's replica VMs: kernel and initramfs (the OS code), the root image
 * (runtime and replica: the SM code), the operator-signed manifest of their digests, and the
 * read-only copies that a corrupt golden file is restored from. A golden file is named in the
 * manifest by its file name. Its checks share one {@link ChunkedDigest}: threads and buffers are
 * made once for the agent's life, not per file (on the small golden files they cost as much as
 * the hashing); {@link #close()} at shutdown ends them.
 */
public final class GoldenStore implements AutoCloseable {
    private final Images images;
    private final byte[] operatorPublicKey;
    private final ChunkedDigest digests = new ChunkedDigest();

    public GoldenStore(Images images, byte[] operatorPublicKey) {
        this.images = images;
        this.operatorPublicKey = operatorPublicKey.clone();
    }

    public Images images() {
        return images;
    }

    public List<Path> osCode() {
        return List.of(images.kernel(), images.initramfs());
    }

    public List<Path> smCode() {
        return List.of(images.root());
    }

    /** The manifest, after its signature checked out with the operator's key. */
    public ImageManifest manifest() throws StepFailure {
        try {
            return ImageVerifier.verifiedManifest(images.manifest(), images.signature(), operatorPublicKey);
        } catch (ImageException e) {
            throw new StepFailure(FailSafeCause.BAD_MANIFEST_SIGNATURE, e.getMessage(), e);
        }
    }

    /** Checks each file; returns those that failed (empty: all good). */
    public List<FileCheck> check(ImageManifest m, List<Path> files) throws StepFailure, InterruptedException {
        List<FileCheck> failed = new ArrayList<>();
        for (Path f : files) {
            FileCheck c = ImageVerifier.check(digests, entry(m, f), f);
            if (!c.ok()) {
                failed.add(c);
            }
        }
        return failed;
    }

    /**
     * Replaces a corrupt golden file by its read-only copy: the copy is checked before, the new
     * file after it is written, and only then renamed into place, so a half-copied file is never golden.
     */
    public void restore(ImageManifest m, Path golden) throws StepFailure, InterruptedException {
        ImageManifest.Entry entry = entry(m, golden);
        Path source = images.readOnlyCopy().resolve(golden.getFileName());
        FileCheck src = ImageVerifier.check(digests, entry, source);
        if (!src.ok()) {
            throw new StepFailure(FailSafeCause.GOLDEN_UNRESTORABLE, golden + " is corrupt and its read-only copy "
                    + source + " is unusable (" + src.status() + ": " + src.detail() + ")");
        }
        Path tmp = golden.resolveSibling("." + golden.getFileName() + ".restore");
        try {
            copy(source, tmp);
            FileCheck copied = ImageVerifier.check(digests, entry, tmp);
            if (!copied.ok()) {
                throw new StepFailure(FailSafeCause.GOLDEN_UNRESTORABLE, "the copy of " + source + " to " + tmp
                        + " does not match the manifest: " + copied.detail());
            }
            Files.move(tmp, golden, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new StepFailure(FailSafeCause.GOLDEN_UNRESTORABLE, "cannot restore " + golden + " from " + source + ": " + e, e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    @Override
    public void close() {
        digests.close();
    }

    private static void copy(Path source, Path target) throws IOException {
        try (FileChannel in = FileChannel.open(source);
             FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                     StandardOpenOption.WRITE)) {
            long size = in.size();
            for (long done = 0; done < size; ) {
                done += in.transferTo(done, size - done, out);
            }
            out.force(true);
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static ImageManifest.Entry entry(ImageManifest m, Path golden) throws StepFailure {
        String name = golden.getFileName().toString();
        return m.file(name).orElseThrow(() -> new StepFailure(FailSafeCause.STEP_FAILED,
                "the signed manifest has no entry for " + name + " (files: "
                        + m.files().stream().map(ImageManifest.Entry::name).toList() + ")"));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // A stray temporary file is harmless: the next restore overwrites it.
        }
    }
}
