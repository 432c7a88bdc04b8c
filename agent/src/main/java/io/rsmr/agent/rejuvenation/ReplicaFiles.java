package io.rsmr.agent.rejuvenation;

import java.nio.file.Path;

/** Where a replica VM's per-host files live: {@code <stateDir>/replicas/r<id>/}. */
public record ReplicaFiles(Path dir) {
    public static ReplicaFiles of(Path stateDir, int replicaId) {
        return new ReplicaFiles(stateDir.resolve("replicas").resolve("r" + replicaId));
    }

    /** The writable qcow2 overlay over the golden root: discarded and recreated every time. */
    public Path rootOverlay() {
        return dir.resolve("root.qcow2");
    }

    /** The SM state: kept across rejuvenations (the replica checks it against its peers). */
    public Path dataDisk() {
        return dir.resolve("data.img");
    }

    public Path configDisk() {
        return dir.resolve("config.img");
    }

    /** What goes on the config disk, staged here first. */
    public Path configStaging() {
        return dir.resolve("config-src");
    }

    public Path serialSocket() {
        return dir.resolve("smw.sock");
    }

    public Path consoleLog() {
        return dir.resolve("console.log");
    }
}
