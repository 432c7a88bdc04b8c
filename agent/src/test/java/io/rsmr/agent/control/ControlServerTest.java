package io.rsmr.agent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rsmr.agent.rounds.GroupRecord;
import io.rsmr.agent.rounds.RoundWire;
import io.rsmr.agent.rounds.RoundsAction;
import io.rsmr.agent.rounds.RoundsConfig;
import io.rsmr.agent.rounds.RoundsRunner;
import io.rsmr.common.crypto.Ed25519Keys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's controls over a real unix socket, to a real rounds runner of host h1 (epoch an hour away). */
class ControlServerTest {
    @TempDir
    Path dir;
    private RoundsRunner runner;
    private ControlServer server;
    private final List<String> alerts = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        Map<Integer, String> hosts = new LinkedHashMap<>();
        Map<String, byte[]> keys = new LinkedHashMap<>();
        Ed25519Keys.SigningKey key = Ed25519Keys.generate(new SecureRandom());
        for (int i = 1; i <= 3; i++) {
            hosts.put(i, "h" + i);
            keys.put("h" + i, i == 1 ? key.publicKey() : Ed25519Keys.generate(new SecureRandom()).publicKey());
        }
        long epoch = System.currentTimeMillis() + 3_600_000;
        RoundsConfig cfg = new RoundsConfig(hosts, 1, epoch, 60_000, 30_000, 10_000, 200, 600, 3_000, 500, 4);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        runner = new RoundsRunner(cfg, "h1", new RoundWire("test", keys), key, any, Map.of(),
                (start, finished) -> finished.finished(true, System.currentTimeMillis()), new RoundsRunner.Sink() {
                    @Override
                    public void failSafe(RoundsAction.FailSafe f) {
                    }

                    @Override
                    public void alert(String reason) {
                        alerts.add(reason);
                    }

                    @Override
                    public void record(GroupRecord g) {
                    }

                    @Override
                    public void rejected(SocketAddress from, RoundWire.Rejection reason, String detail) {
                    }
                }, Clock.systemUTC()).start();
        server = new ControlServer(dir.resolve("control.sock"), runner);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        runner.close();
    }

    private JsonNode send(Object... fields) throws Exception {
        Map<String, Object> request = new LinkedHashMap<>();
        for (int i = 0; i + 1 < fields.length; i += 2) {
            request.put((String) fields[i], fields[i + 1]);
        }
        return ControlServer.send(server.socket(), request);
    }

    @Test
    void theSocketIsForRootOnly() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socket())));
    }

    @Test
    void pauseShowsInTheStatusWithALoudAlertAndResumeNeedsARoundNotBegun() throws Exception {
        assertFalse(send("command", "status").path("paused").asBoolean());
        assertTrue(send("command", "pause", "by", "alice").path("ok").asBoolean());
        JsonNode status = send("command", "status");
        assertTrue(status.path("paused").asBoolean(), status.toString());
        assertTrue(alerts.stream().anyMatch(a -> a.startsWith("rounds paused by alice") && a.contains("EXHAUSTION-SAFETY IS SUSPENDED")),
                alerts.toString());
        JsonNode late = send("command", "resume", "by", "alice", "fromRound", -5);
        assertFalse(late.path("ok").asBoolean());
        assertTrue(late.path("error").asText().contains("it must not have started yet"), late.toString());
        assertTrue(send("command", "resume", "by", "alice", "fromRound", 0).path("ok").asBoolean());
        assertFalse(send("command", "status").path("paused").asBoolean());
    }

    @Test
    void aOneOffOfAnotherHostsReplicaIsRefusedNamingItsHost() throws Exception {
        JsonNode answer = send("command", "one-off", "replica", 2);
        assertFalse(answer.path("ok").asBoolean());
        assertEquals("replica 2 runs on h2: ask its agent", answer.path("error").asText());
        assertTrue(send("command", "one-off", "replica", 1).path("ok").asBoolean(), "requested: it waits for the others' grants");
        assertTrue(alerts.stream().anyMatch(a -> a.contains("waiting for every agent's grant")), alerts.toString());
    }

    @Test
    void badRequestsAreAnsweredWithWhatIsWrong() throws Exception {
        assertEquals("unknown command 'reboot' (status, pause, resume, one-off)", send("command", "reboot").path("error").asText());
        assertEquals("'fromRound' must be a whole number", send("command", "resume", "fromRound", "soon").path("error").asText());
    }
}
