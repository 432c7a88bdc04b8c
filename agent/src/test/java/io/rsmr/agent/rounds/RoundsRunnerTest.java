package io.rsmr.agent.rounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.agent.rounds.RoundWire.Rejection;
import io.rsmr.common.crypto.Ed25519Keys;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Three agents' runners over real UDP on loopback, with a local rejuvenation that takes 100 ms. */
class RoundsRunnerTest {
    private static final long LOCAL_MILLIS = 1_000;
    private static final String CLUSTER = "test";

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Ed25519Keys.SigningKey> keys = new LinkedHashMap<>();
    private final List<RoundsRunner> runners = new ArrayList<>();
    private final ScheduledExecutorService rejuvenations = Executors.newScheduledThreadPool(2);
    private final AtomicInteger down = new AtomicInteger();
    private final AtomicInteger mostDown = new AtomicInteger();
    private final List<String> failSafes = new CopyOnWriteArrayList<>();
    private final List<GroupRecord> records = new CopyOnWriteArrayList<>();
    private final List<String> rejected = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (RoundsRunner r : runners) {
            r.close();
        }
        rejuvenations.shutdownNow();
    }

    private RoundsConfig cfg(long epochMillis) {
        Map<Integer, String> hosts = new LinkedHashMap<>();
        for (int i = 1; i <= 3; i++) {
            hosts.put(i, "h" + i);
            keys.put("h" + i, Ed25519Keys.generate(random));
        }
        // The slack covers scheduling delays of a loaded machine (the paper's P1 bounds them on a real host):
        // this test is about the protocol over real UDP, not about this machine's latency.
        return new RoundsConfig(hosts, 1, epochMillis, 6 * LOCAL_MILLIS, 5 * LOCAL_MILLIS, LOCAL_MILLIS, 1_000, 2_000, 4_000, 500, 4);
    }

    private RoundWire wire() {
        Map<String, byte[]> publicKeys = new HashMap<>();
        keys.forEach((h, k) -> publicKeys.put(h, k.publicKey()));
        return new RoundWire(CLUSTER, publicKeys);
    }

    private final RoundsRunner.LocalRejuvenation fakeRejuvenation = (start, finished) -> {
        mostDown.accumulateAndGet(down.incrementAndGet(), Math::max);
        long startedAt = System.currentTimeMillis();
        rejuvenations.schedule(() -> {
            down.decrementAndGet();
            finished.finished(true, startedAt);
        }, 100, TimeUnit.MILLISECONDS);
    };

    private final RoundsRunner.Sink sink = new RoundsRunner.Sink() {
        @Override
        public void failSafe(RoundsAction.FailSafe f) {
            failSafes.add(f.reason());
        }

        @Override
        public void alert(String reason) {
        }

        @Override
        public void record(GroupRecord g) {
            records.add(g);
        }

        @Override
        public void rejected(SocketAddress from, Rejection reason, String detail) {
            rejected.add(reason + ": " + detail);
        }
    };

    /** Starts runners for the given hosts on free loopback ports; returns host → address. */
    private Map<String, InetSocketAddress> start(RoundsConfig cfg, List<String> hosts) throws IOException {
        Map<String, DatagramChannel> reserved = new LinkedHashMap<>();
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        for (String h : cfg.hosts()) {
            DatagramChannel c = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            reserved.put(h, c);
            addresses.put(h, (InetSocketAddress) c.getLocalAddress());
        }
        for (DatagramChannel c : reserved.values()) {
            c.close();
        }
        for (String h : hosts) {
            Map<String, InetSocketAddress> peers = new LinkedHashMap<>(addresses);
            peers.remove(h);
            runners.add(new RoundsRunner(cfg, h, wire(), keys.get(h), addresses.get(h), peers, fakeRejuvenation, sink,
                    Clock.systemUTC()).start());
        }
        return addresses;
    }

    @Test
    void threeAgentsRunTwoRoundsWithAtMostOneReplicaDown() throws Exception {
        RoundsConfig probe = cfg(0);
        long epoch = System.currentTimeMillis() + RoundsCore.learnMillis(probe) + 500;
        RoundsConfig cfg = cfg(epoch);
        start(cfg, cfg.hosts());
        Thread.sleep(cfg.roundDeadline(1) - System.currentTimeMillis() + 300);

        assertEquals(List.of(), failSafes);
        assertEquals(1, mostDown.get(), "k = 1: one replica down at a time");
        for (long round = 0; round <= 1; round++) {
            for (int g = 0; g < 3; g++) {
                long r = round;
                int group = g;
                long seenBy = records.stream().filter(x -> x.round() == r && x.group() == group && x.ok()).count();
                assertEquals(3, seenBy, "every agent recorded group " + g + " of round " + r + " done: " + records);
            }
        }
        assertEquals(List.of(), rejected);
    }

    @Test
    void forgedAlteredReplayedAndForeignDatagramsAreRejectedWithTheirReason() throws Exception {
        RoundsConfig cfg = cfg(System.currentTimeMillis() + 60_000);
        Map<String, InetSocketAddress> addresses = start(cfg, List.of("h1"));
        RoundWire wire = wire();
        long now = System.currentTimeMillis();
        byte[] genuine = wire.seal(new RoundMessage.Heartbeat("h2", now, now), keys.get("h2"));
        byte[] forged = wire.seal(new RoundMessage.Heartbeat("h2", now + 1, now), Ed25519Keys.generate(random));
        byte[] altered = genuine.clone();
        altered[altered.length - 70] ^= 1;
        byte[] foreign = new RoundWire("other", Map.of("h2", keys.get("h2").publicKey()))
                .seal(new RoundMessage.Heartbeat("h2", now + 2, now), keys.get("h2"));
        byte[] stale = wire.seal(new RoundMessage.Done("h2", 40, 2, true, now, now), keys.get("h2"));
        try (DatagramChannel c = DatagramChannel.open()) {
            for (byte[] d : List.of(genuine, genuine, forged, altered, foreign, stale, new byte[] {1, 2, 3})) {
                c.send(ByteBuffer.wrap(d), addresses.get("h1"));
            }
        }
        long until = System.currentTimeMillis() + 5_000;
        while (rejected.size() < 6 && System.currentTimeMillis() < until) {
            Thread.sleep(20);
        }
        List<Rejection> reasons = rejected.stream().map(s -> Rejection.valueOf(s.substring(0, s.indexOf(':')))).sorted().toList();
        List<Rejection> expected = new ArrayList<>(List.of(Rejection.REPLAYED, Rejection.BAD_SIGNATURE, Rejection.BAD_SIGNATURE,
                Rejection.OTHER_CLUSTER, Rejection.STALE_ROUND, Rejection.MALFORMED));
        Collections.sort(expected);
        assertEquals(expected, reasons, rejected.toString());
        assertEquals(2L, runners.get(0).rejections().get(Rejection.BAD_SIGNATURE));
        assertTrue(rejected.stream().anyMatch(s -> s.contains("Done of round 40 from h2")), rejected.toString());
    }
}
