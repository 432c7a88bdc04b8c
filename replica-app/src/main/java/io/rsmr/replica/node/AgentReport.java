package io.rsmr.replica.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * One-line JSON reports to the host agent: in a VM the virtio-serial port
 * {@code /dev/virtio-ports/io.rsmr.smw.0}, in tests any file. The agent never talks to a guest
 * over a network; this port is the replica's only way to tell it something.
 */
public final class AgentReport {
    /** The port is busy while the host side reconnects; retry this often, this long apart. */
    private static final int BUSY_RETRIES_MAX = 50;
    private static final long BUSY_RETRY_MILLIS = 100;
    private static final Logger LOG = Logger.getLogger(AgentReport.class.getName());

    private final Path target;
    /** Reports leave on their own thread: a busy port must not stall the replica's event loop. */
    private final ExecutorService writer = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "agent-report");
        thread.setDaemon(true);
        return thread;
    });

    public AgentReport(Path target) {
        this.target = target;
    }

    /** {@code {"event":"replica-ready",...}}: the replica listens and starts its event loop. */
    void ready(int replicaId, long epoch, String listen) {
        writer.execute(() -> write("{\"event\":\"replica-ready\",\"replicaId\":" + replicaId + ",\"epoch\":" + epoch
                + ",\"listen\":\"" + listen + "\"}\n"));
    }

    /** One line of JSON from {@link RecoveryTimer}: recovery progress or the final "recovered" event. */
    void event(String json) {
        writer.execute(() -> write(json + "\n"));
    }

    private void write(String line) {
        for (int attempt = 1; ; attempt++) {
            try {
                Files.writeString(target, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                return;
            } catch (IOException e) {
                if (attempt >= BUSY_RETRIES_MAX) {
                    LOG.warning("cannot report to the agent on " + target + ": " + e);
                    return;
                }
                sleep();
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(BUSY_RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
