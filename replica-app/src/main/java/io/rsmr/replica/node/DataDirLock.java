package io.rsmr.replica.node;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** One replica per data directory: a second process on the same state would corrupt it. */
final class DataDirLock implements AutoCloseable {
    static final String NAME = "replica.lock";

    private final Path dataDir;
    private final FileChannel channel;

    private DataDirLock(Path dataDir, FileChannel channel) {
        this.dataDir = dataDir;
        this.channel = channel;
    }

    /** Creates the directory if needed and locks it, or throws if another process holds it. */
    static DataDirLock acquire(Path dataDir) throws IOException, InUseException {
        Files.createDirectories(dataDir);
        FileChannel channel = FileChannel.open(dataDir.resolve(NAME), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            throw new InUseException("another replica is using data directory " + dataDir);
        }
        return new DataDirLock(dataDir, channel);
    }

    Path dataDir() {
        return dataDir;
    }

    /** Closing the channel releases the lock. */
    @Override
    public void close() throws IOException {
        channel.close();
    }

    static final class InUseException extends Exception {
        InUseException(String message) {
            super(message);
        }
    }
}
