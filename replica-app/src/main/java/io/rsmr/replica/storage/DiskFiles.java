package io.rsmr.replica.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The file operations the store builds on. A file written with {@link #writeAtomically} is either
 * absent, its old content or its complete new content after a crash at any point: the bytes go to a
 * temporary file that is synced, renamed over the target, and then the directory (which holds the
 * rename) is synced too.
 */
final class DiskFiles {
    /** Suffix of a file being written; whatever has it at open is a leftover of a crash. */
    static final String TEMPORARY_SUFFIX = ".tmp";

    private DiskFiles() {}

    static void writeAtomically(Path target, byte[] bytes, FsyncPolicy policy) throws IOException {
        replace(target, bytes, policy);
        syncDirectory(target.getParent(), policy);
    }

    /** {@link #writeAtomically} but the directory is left for the caller to sync (once for many files). */
    static void replace(Path target, byte[] bytes, FsyncPolicy policy) throws IOException {
        Path temporary = target.resolveSibling(target.getFileName() + TEMPORARY_SUFFIX);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(channel, ByteBuffer.wrap(bytes));
            if (policy.syncs()) {
                channel.force(true);
            }
        }
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void writeFully(FileChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Makes the directory's entries (created, renamed, deleted files) durable. */
    static void syncDirectory(Path directory, FsyncPolicy policy) throws IOException {
        if (!policy.syncs()) {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Deletes the temporary files a crash left in {@code directory}. */
    static void deleteTemporaries(Path directory) throws IOException {
        try (var files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.getFileName().toString().endsWith(TEMPORARY_SUFFIX)) {
                    Files.delete(file);
                }
            }
        }
    }
}
