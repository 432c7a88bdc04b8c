package io.rsmr.agent.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.KvClient;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvResult;
import io.rsmr.replica.protocol.ProtocolConfig;
import io.rsmr.replica.transport.Membership;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client on the host that keeps committing KV puts through the cluster (a recovering replica
 * catches up only while its peers make progress), one at a time, and stops at every checkpoint
 * boundary until the host replicas' status files agree on where they are. There it notes the
 * state digest of the host replicas' stable checkpoint, so that a test can compare what a
 * rejuvenated replica says it recovered to with the certified state of its peers at that seq.
 */
final class LoadDriver {
    /** status.json is rewritten at most once a second (NodeSettings): two reads this far apart that agree are settled. */
    private static final long SETTLE_READ_GAP_MILLIS = 1_200;
    private static final long SETTLE_MILLIS_MAX = 5_000;
    private static final long IDLE_POLL_MILLIS = 50;
    private static final long STOP_MILLIS_MAX = 40_000;

    private final HostReplicas peers;
    private final RsmrClient client;
    private final KvClient kv;
    private final int checkpointIntervalSeqs;
    private final Map<Long, String> certified = new ConcurrentHashMap<>();
    private final List<String> failures = new ArrayList<>();
    /** The last settled points (executed seq, each host's stable checkpoint seq), for failure messages. */
    private final Deque<String> settled = new ArrayDeque<>();
    private static final int SETTLED_KEPT_MAX = 12;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean paused;
    private volatile boolean idle;
    private final AtomicLong puts = new AtomicLong();

    private LoadDriver(HostReplicas peers, RsmrClient client, int checkpointIntervalSeqs) {
        this.peers = peers;
        this.client = client;
        this.kv = new KvClient(client, KvLimits.defaults());
        this.checkpointIntervalSeqs = checkpointIntervalSeqs;
        this.thread = new Thread(this::run, "vm-test-load");
        thread.setDaemon(true);
    }

    static LoadDriver start(Path config, HostReplicas peers) throws Exception {
        Membership membership = Membership.of(new ClusterConfigLoader().load(config));
        int interval = ProtocolConfig.defaults(membership.n(), membership.k(), membership.kPrime()).checkpointIntervalSeqs();
        LoadDriver d = new LoadDriver(peers, RsmrClient.start(ClientSettings.defaults(membership, 1)), interval);
        d.thread.start();
        return d;
    }

    /**
     * The host replicas' stable checkpoint digest at {@code seq}, if the driver saw one there.
     * Needs status.json's stableCheckpointSeq/stableCheckpointDigest (requested from the replica's owner).
     */
    Optional<String> certifiedDigest(long seq) {
        return Optional.ofNullable(certified.get(seq));
    }

    /** The highest stable checkpoint seen so far (0: none yet). */
    long certifiedSeqMax() {
        return certified.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** Puts committed (or answered otherwise, see failures) so far. */
    long puts() {
        return puts.get();
    }

    synchronized List<String> failures() {
        return List.copyOf(failures);
    }

    /** Stops sending (for a test whose guest must not recover), and waits until no put is under way. */
    void pause() throws InterruptedException {
        paused = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_MILLIS_MAX);
        while (!idle && System.nanoTime() < deadline) {
            Thread.sleep(IDLE_POLL_MILLIS);
        }
    }

    void resume() {
        paused = false;
    }

    private void run() {
        while (running) {
            if (paused) {
                idle = true;
                sleep(IDLE_POLL_MILLIS);
                continue;
            }
            idle = false;
            try {
                long executed = settle();
                if (executed < 0) { // the cluster moves on its own (empty batches while a replica recovers)
                    put();
                    continue;
                }
                long boundary = (executed / checkpointIntervalSeqs + 1) * checkpointIntervalSeqs;
                for (long s = executed; s < boundary && running && !paused; s++) {
                    put();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                fail(e.toString());
                sleep(SETTLE_READ_GAP_MILLIS);
            }
        }
    }

    private void put() throws Exception {
        long n = puts.getAndIncrement();
        KvResult r = kv.put(bytes("vm-load-" + n % 1000), bytes("value-" + n));
        if (!(r instanceof KvResult.Ok)) {
            fail("put " + n + " answered " + r);
        }
    }

    /**
     * Waits until the host replicas agree on their last executed seq twice in a row and notes
     * their stable checkpoints; -1 if they did not settle within {@link #SETTLE_MILLIS_MAX}.
     */
    private long settle() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS_MAX);
        long previous = -1;
        while (System.nanoTime() < deadline && running) {
            long executed = agreedExecutedSeq();
            if (executed >= 0 && executed == previous) {
                noteCheckpoints(executed);
                return executed;
            }
            previous = executed;
            Thread.sleep(SETTLE_READ_GAP_MILLIS);
        }
        return -1;
    }

    /** -1 while they differ or one has written none yet. */
    private long agreedExecutedSeq() throws Exception {
        long seq = -1;
        for (int id : peers.ids()) {
            Optional<JsonNode> s = peers.status(id);
            if (s.isEmpty()) {
                return -1;
            }
            long e = s.get().path("lastExecutedSeq").asLong(-1);
            if (seq >= 0 && e != seq) {
                return -1;
            }
            seq = e;
        }
        return seq;
    }

    /** The last points where the host replicas settled, oldest first. */
    synchronized List<String> settledPoints() {
        return List.copyOf(settled);
    }

    private synchronized void noteSettled(long executed, List<Long> stable) {
        settled.addLast("executed " + executed + " stable " + stable);
        if (settled.size() > SETTLED_KEPT_MAX) {
            settled.removeFirst();
        }
    }

    private void noteCheckpoints(long executed) throws Exception {
        List<Long> stable = new ArrayList<>();
        for (int id : peers.ids()) {
            JsonNode s = peers.status(id).orElseThrow();
            if (s.has("stableCheckpointSeq") && s.has("stableCheckpointDigest")) {
                long seq = s.get("stableCheckpointSeq").asLong();
                stable.add(seq);
                String digest = s.get("stableCheckpointDigest").asText();
                String before = certified.putIfAbsent(seq, digest);
                if (before != null && !before.equals(digest)) {
                    fail("host replicas disagree on the checkpoint at " + seq + ": " + before + " vs " + digest);
                }
            }
        }
        noteSettled(executed, stable);
    }

    private synchronized void fail(String what) {
        failures.add(what);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(STOP_MILLIS_MAX);
        client.close();
    }
}
