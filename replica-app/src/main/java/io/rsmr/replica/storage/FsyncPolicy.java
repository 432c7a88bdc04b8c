package io.rsmr.replica.storage;

import java.util.Locale;

/**
 * When the replica's writes reach the disk.
 *
 * <p>{@link #ALWAYS} (the default) is group commit: the shell collects everything one event-loop
 * turn asked to persist, writes it, and makes it durable with one {@code fdatasync} of the log before
 * any message or reply of that turn leaves; a turn that makes a checkpoint stable also syncs, before
 * the checkpoint file names them, the chunk packs that hold its new chunks (one sync per pack), the checkpoint file and
 * the directories. A client's write is acknowledged only by replies, so an acknowledged write is on the
 * disks of at least a quorum of replicas, and survives a power loss of every replica at once.
 *
 * <p>{@link #NONE} writes to the page cache only: a process crash loses nothing, a power loss may
 * lose anything written since the kernel last flushed. It exists to measure what durability costs;
 * never run a cluster with it.
 */
public enum FsyncPolicy {
    ALWAYS,
    NONE;

    /** {@code always} or {@code none}; the error names the bad value. */
    public static FsyncPolicy parse(String text) {
        for (FsyncPolicy policy : values()) {
            if (policy.name().equalsIgnoreCase(text.strip())) {
                return policy;
            }
        }
        throw new IllegalArgumentException("fsync policy must be 'always' or 'none', got '" + text + "'");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    boolean syncs() {
        return this == ALWAYS;
    }
}
