package io.rsmr.agent.failsafe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The persistent part of the fail-safe state S, as marker files in the agent's state folder, so
 * that a restart does not undo it: "shutdown" (this host's replica VMs stay off) and "rounds
 * halted". Only an operator clears them ({@code rsmr-agent clear-failsafe}).
 */
public final class FailSafeState {
    private final Path shutdownMarker;
    private final Path haltMarker;

    public FailSafeState(Path stateDir) {
        this.shutdownMarker = stateDir.resolve("failsafe-shutdown");
        this.haltMarker = stateDir.resolve("failsafe-rounds-halted");
    }

    public boolean shutdown() {
        return Files.exists(shutdownMarker);
    }

    public boolean roundsHalted() {
        return Files.exists(haltMarker);
    }

    public void markShutdown(String why) throws IOException {
        write(shutdownMarker, why);
    }

    public void markRoundsHalted(String why) throws IOException {
        write(haltMarker, why);
    }

    /** Why the replica VMs are held off (empty when they are not). */
    public String shutdownReason() throws IOException {
        return shutdown() ? Files.readString(shutdownMarker, StandardCharsets.UTF_8).strip() : "";
    }

    /** Clears both markers; returns whether there was anything to clear. */
    public boolean clear() throws IOException {
        boolean a = Files.deleteIfExists(shutdownMarker);
        boolean b = Files.deleteIfExists(haltMarker);
        return a || b;
    }

    private static void write(Path marker, String why) throws IOException {
        Path tmp = marker.resolveSibling(marker.getFileName() + ".tmp");
        Files.writeString(tmp, why + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, marker, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
