package io.rsmr.agent.rounds;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.KeyFiles;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One agent's rounds in a process of its own, for the system tests: the real {@link RoundsRunner}
 * on the real management LAN, with a local rejuvenation that only takes time (the real one needs a
 * VM; the rounds do not care what it does). Settings come from a properties file; every event is
 * written as one tab-separated line {@code millis kind detail} for the test to read.
 *
 * <p>Properties: {@code self}, {@code cluster}, {@code epochFile} (appears with the epoch), {@code tpMillis}, {@code tdMillis},
 * {@code localExecMillis}, {@code k}, {@code replicas} ({@code 1=h1,2=h2,...}), {@code address.<host>}
 * ({@code ip:port}), {@code key.<host>} (public key file), {@code signingKey} (this agent's key file),
 * {@code rejuvenationMillis} (default), {@code rejuvenationMillis.<round>.<replica>} (one override),
 * {@code clockSkewMillis}, {@code events} (output file).
 */
public final class RoundsTestAgent {
    private RoundsTestAgent() {
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of(args[0]))) {
            p.load(r);
        }
        String self = p.getProperty("self");
        Map<Integer, String> replicas = new LinkedHashMap<>();
        for (String pair : p.getProperty("replicas").split(",")) {
            String[] kv = pair.split("=");
            replicas.put(Integer.parseInt(kv[0]), kv[1]);
        }
        PrintWriter events = new PrintWriter(Files.newBufferedWriter(Path.of(p.getProperty("events")), StandardCharsets.UTF_8), true);
        warmUp(replicas, Integer.parseInt(p.getProperty("k")));
        emit(events, "loaded", p.getProperty("self"));
        long epoch = awaitEpoch(Path.of(p.getProperty("epochFile")));
        RoundsConfig cfg = new RoundsConfig(replicas, Integer.parseInt(p.getProperty("k")), epoch,
                Long.parseLong(p.getProperty("tpMillis")), Long.parseLong(p.getProperty("tdMillis")),
                Long.parseLong(p.getProperty("localExecMillis")), 200, 600, 2_000, 500, 4);
        Map<String, byte[]> keys = new HashMap<>();
        Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
        for (String host : cfg.hosts()) {
            keys.put(host, KeyFiles.readPublicKey(Path.of(p.getProperty("key." + host))));
            String[] hostPort = p.getProperty("address." + host).split(":");
            peers.put(host, new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])));
        }
        InetSocketAddress bind = peers.remove(self);
        Ed25519Keys.SigningKey key = KeyFiles.readSigningKey(Path.of(p.getProperty("signingKey")));
        Clock clock = Clock.offset(Clock.systemUTC(), Duration.ofMillis(Long.parseLong(p.getProperty("clockSkewMillis", "0"))));
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

        RoundsRunner.LocalRejuvenation rejuvenation = (start, finished) -> {
            long millis = Long.parseLong(p.getProperty("rejuvenationMillis." + start.round() + "." + start.replicaId(),
                    p.getProperty("rejuvenationMillis")));
            long startedAt = clock.millis();
            emit(events, "down", start.round() + " " + start.replicaId());
            timer.schedule(() -> {
                emit(events, "up", start.round() + " " + start.replicaId());
                finished.finished(true, startedAt);
            }, millis, TimeUnit.MILLISECONDS);
        };
        RoundsRunner.Sink sink = new RoundsRunner.Sink() {
            @Override
            public void failSafe(RoundsAction.FailSafe f) {
                emit(events, "failsafe", f.round() + " " + f.reason());
            }

            @Override
            public void alert(String reason) {
                emit(events, "alert", reason);
            }

            @Override
            public void record(GroupRecord g) {
                emit(events, "record", g.round() + " " + g.group() + " ok=" + g.ok() + " start=" + g.actualStartMillis()
                        + " end=" + g.actualEndMillis() + " deadlineMargin=" + g.deadlineMarginMillis());
            }

            @Override
            public void rejected(SocketAddress from, RoundWire.Rejection reason, String detail) {
                emit(events, "rejected", reason + " " + detail);
            }
        };
        new RoundsRunner(cfg, self, new RoundWire(p.getProperty("cluster"), keys), key, bind, peers, rejuvenation, sink, clock).start();
        emit(events, "ready", self);
        Thread.currentThread().join();
    }

    /** Runs the hot paths (core steps, signing, checking) before the schedule starts, so JIT work does not delay it. */
    private static void warmUp(Map<Integer, String> replicas, int k) throws Exception {
        RoundsConfig cfg = new RoundsConfig(replicas, k, 0, 8_000, 6_000, 1_000, 200, 600, 2_000, 500, 4);
        String host = replicas.values().iterator().next();
        RoundsCore core = new RoundsCore(cfg, host);
        Ed25519Keys.SigningKey key = Ed25519Keys.generate(new java.security.SecureRandom());
        RoundWire wire = new RoundWire("warm-up", Map.of(host, key.publicKey()));
        for (long t = 0; t < 60_000; t += 100) {
            core.step(new RoundsEvent.Tick(t));
        }
        for (int i = 0; i < 300; i++) {
            wire.open(wire.seal(new RoundMessage.Heartbeat(host, i, i), key));
        }
    }

    /**
     * The test writes the epoch once every agent has loaded, so that slow JVM starts on a busy machine
     * do not eat into the schedule.
     */
    private static long awaitEpoch(Path file) throws Exception {
        while (!Files.exists(file)) {
            Thread.sleep(10);
        }
        return Long.parseLong(Files.readString(file).strip());
    }

    /** The true (unskewed) time, so the test can compare events of all agents. */
    private static synchronized void emit(PrintWriter out, String kind, String detail) {
        out.println(System.currentTimeMillis() + "\t" + kind + "\t" + detail);
    }
}
