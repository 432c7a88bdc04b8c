package io.rsmr.replica.node;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Whether a replica ran on this data directory before: then it lost its volatile state (and,
 * until durable storage exists, its log) and must recover before it votes again.
 */
final class StartMarker {
    static final String NAME = "replica.started";

    private StartMarker() {}

    /** True if the marker existed; makes sure it exists (durably) afterwards. */
    static boolean ranBefore(Path dataDir) throws IOException {
        Path marker = dataDir.resolve(NAME);
        if (Files.exists(marker)) {
            return true;
        }
        Files.createDirectories(dataDir);
        try (FileChannel channel = FileChannel.open(marker, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        return false;
    }
}
