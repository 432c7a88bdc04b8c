package io.rsmr.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Facts about this host that go into its guests' definitions. */
public final class HostFacts {
    private HostFacts() {
    }

    /**
     * The host's TSC frequency in kHz, for the guest kernel's {@code tsc_early_khz=}: under TCG the
     * guest's own calibration fails at random and boot then takes 27–82 s instead of ≈ 2.6 s.
     */
    public static long tscKhz() {
        try {
            return tscKhz(Files.readAllLines(Path.of("/proc/cpuinfo")));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/cpuinfo: " + e.getMessage(), e);
        }
    }

    static long tscKhz(List<String> cpuinfo) {
        for (String line : cpuinfo) {
            if (line.startsWith("cpu MHz")) {
                return Math.round(Double.parseDouble(line.substring(line.indexOf(':') + 1).strip()) * 1000);
            }
        }
        throw new IllegalStateException("/proc/cpuinfo has no 'cpu MHz' line");
    }
}
