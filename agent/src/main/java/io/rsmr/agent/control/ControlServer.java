package io.rsmr.agent.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rsmr.agent.rounds.GroupRecord;
import io.rsmr.agent.rounds.RoundsRunner;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The operator's controls of a running agent's rounds (issue 7): pause, resume, a one-off
 * rejuvenation, and the rounds' status, on a unix socket in the agent's state folder that only root
 * may open. One JSON object per line in, one out. The rsmr CLI will reach the same controls over
 * the agents' SSH interface; this is the local end.
 */
public final class ControlServer implements AutoCloseable {
    /** A request is a few dozen bytes; a longer line is not one. */
    public static final int REQUEST_BYTES_MAX = 4_096;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;
    private final RoundsRunner rounds;
    private final ServerSocketChannel server;
    private final Thread acceptor;

    public ControlServer(Path socket, RoundsRunner rounds) throws IOException {
        this.socket = socket;
        this.rounds = rounds;
        Files.deleteIfExists(socket); // a stale socket of an agent that died
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        this.acceptor = new Thread(this::acceptLoop, "agent-control");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    public Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try (SocketChannel client = server.accept()) {
                String reply = JSON.writeValueAsString(answer(readLine(client)));
                client.write(ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // One client's broken connection; the next one is served.
            }
        }
    }

    private static String readLine(SocketChannel client) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(REQUEST_BYTES_MAX);
        while (buffer.hasRemaining() && client.read(buffer) > 0) {
            byte last = buffer.get(buffer.position() - 1);
            if (last == '\n') {
                break;
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
    }

    /** What one request gets: {"ok": true, ...} or {"ok": false, "error": "what is wrong"}. */
    Map<String, Object> answer(String line) {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            JsonNode request = JSON.readTree(line);
            String command = request.path("command").asText("");
            String by = request.path("by").asText("operator");
            switch (command) {
                case "status" -> {
                    out.put("paused", rounds.paused());
                    out.put("groups", rounds.status().stream().map(ControlServer::group).toList());
                    out.put("rejected", rounds.rejections());
                }
                case "pause" -> rounds.pause(by);
                case "resume" -> rounds.resume(by, required(request, "fromRound"));
                case "one-off" -> rounds.oneOff(by, (int) required(request, "replica"));
                default -> throw new IllegalArgumentException("unknown command '" + command
                        + "' (status, pause, resume, one-off)");
            }
            out.put("ok", true);
        } catch (IOException | RuntimeException e) {
            out.clear();
            out.put("ok", false);
            out.put("error", e.getMessage());
        }
        return out;
    }

    private static long required(JsonNode request, String field) {
        if (!request.path(field).canConvertToLong()) {
            throw new IllegalArgumentException("'" + field + "' must be a whole number");
        }
        return request.path(field).asLong();
    }

    private static Map<String, Object> group(GroupRecord g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("round", g.round());
        m.put("group", g.group());
        m.put("replicas", g.replicas());
        m.put("plannedStart", g.plannedStartMillis());
        m.put("plannedEnd", g.plannedEndMillis());
        m.put("actualStart", g.actualStartMillis() < 0 ? null : g.actualStartMillis());
        m.put("actualEnd", g.actualEndMillis() < 0 ? null : g.actualEndMillis());
        m.put("ok", g.ok());
        m.put("slotMarginMs", g.ok() ? g.slotMarginMillis() : null);
        m.put("deadlineMarginMs", g.ok() ? g.deadlineMarginMillis() : null);
        return m;
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }

    /** Sends one request to the agent listening on {@code socket}; returns its answer. */
    public static JsonNode send(Path socket, Map<String, Object> request) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            channel.write(ByteBuffer.wrap((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            return JSON.readTree(readAll(channel));
        }
    }

    private static String readAll(SocketChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        int read = 0;
        while (buffer.hasRemaining() && read >= 0) {
            read = channel.read(buffer);
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }
}
