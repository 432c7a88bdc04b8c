package io.rsmr.agent.rejuvenation;

import io.rsmr.agent.failsafe.FailSafeCause;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a host tool (qemu-img, the config disk maker) to completion. Its output goes to a file, so
 * the wait is the only blocking call and interrupting it (a cancelled step) kills the tool.
 */
final class Processes {
    /** Enough of a tool's output to say why it failed. */
    static final int OUTPUT_CHARS_MAX = 2000;

    private Processes() {
    }

    static void run(List<String> command, Path outputFile) throws StepFailure, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(outputFile.toFile()).start();
        } catch (IOException e) {
            throw new StepFailure(FailSafeCause.STEP_FAILED, "cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            int status = p.waitFor();
            if (status != 0) {
                throw new StepFailure(FailSafeCause.STEP_FAILED, String.join(" ", command) + " exited with " + status
                        + ": " + output(outputFile));
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    private static String output(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            return s.length() <= OUTPUT_CHARS_MAX ? s : "..." + s.substring(s.length() - OUTPUT_CHARS_MAX);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
