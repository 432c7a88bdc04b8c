package io.rsmr.agent.rounds;

import io.rsmr.agent.rounds.RoundsAction.Broadcast;
import io.rsmr.agent.rounds.RoundsAction.FailSafe;
import io.rsmr.agent.rounds.RoundsAction.StartLocal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

/**
 * Every agent's real {@link RoundsCore} in one thread, over a simulated management LAN (delay, loss,
 * duplication, partitions) and simulated clocks (each agent's offset and drift within the bounds the
 * paper's P2 allows), with rejuvenations that take a random time, overrun, fail, or never end because
 * their agent crashed. Every setting comes from one seed. The checkers run after every event.
 */
final class RoundsSimulation {
    static final long TICK_MILLIS = 100;
    static final long FAIL_SAFE_WITHIN_MILLIS = 1_000;
    static final long CLOCK_OFFSET_MAX_MILLIS = 200;
    /** Operator requests for a one-off rejuvenation at random times; most are refused, some run. */
    static final int ONE_OFF_REQUESTS = 3;

    /** The faults one run injects, each at most once. */
    enum Fault { NONE, CRASH_AGENT, OVERRUN, FAIL_REJUVENATION, PARTITION_AGENT, LOSSY_NETWORK, RESTART_AGENT }

    final long seed;
    final Random random;
    final RoundsConfig cfg;
    final Fault fault;
    final int rounds;
    final Map<String, Agent> agents = new LinkedHashMap<>();
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
    private long sequence;
    long trueNow;
    private final double lossProbability;
    private final double duplicateProbability;
    private final long delayMaxMillis;
    /** The rejuvenation the fault targets: (round, replica). */
    final long faultRound;
    final int faultReplica;
    private String partitioned;
    private long partitionEndMillis;

    // What truly happened, for the checkers.
    final Set<Integer> down = new HashSet<>();
    final Map<Long, Map<Integer, Long>> okFinishedAt = new HashMap<>();
    final Map<Long, Set<Integer>> startedIn = new HashMap<>();
    final List<String> violations = new ArrayList<>();
    /** Hosts whose agent was restarted, and when it came back: it reruns its interrupted rejuvenation. */
    final Set<String> restarted = new HashSet<>();
    private final Map<String, long[]> crashedDuring = new HashMap<>();

    /** One agent: its core, its clock, and whether it still runs. */
    final class Agent {
        final String host;
        final RoundsCore core;
        final long offsetMillis;
        final double driftPerMillis;
        boolean crashed;
        final Map<Long, Long> failSafeAt = new HashMap<>();
        final List<String> alerts = new ArrayList<>();

        Agent(String host, long offsetMillis, double driftPerMillis, boolean gateOnPredecessor) {
            this.host = host;
            this.core = new RoundsCore(cfg, host);
            this.core.gateOnPredecessor = gateOnPredecessor;
            this.offsetMillis = offsetMillis;
            this.driftPerMillis = driftPerMillis;
        }

        long localNow() {
            return trueNow + offsetMillis + Math.round(driftPerMillis * (trueNow - cfg.epochMillis()));
        }
    }

    private record Scheduled(long at, long seq, Runnable action) implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    RoundsSimulation(long seed, Fault forcedFault) {
        this(seed, forcedFault, true);
    }

    RoundsSimulation(long seed, Fault forcedFault, boolean gateOnPredecessor) {
        this.seed = seed;
        this.random = new Random(seed);
        int n = 4 + random.nextInt(6);
        int k = 1 + random.nextInt(Math.min(3, (n - 1) / 2));
        boolean sharedHosts = random.nextInt(4) == 0;
        Map<Integer, String> hosts = new LinkedHashMap<>();
        for (int id = 1; id <= n; id++) {
            hosts.put(id, "h" + (sharedHosts ? (id + 1) / 2 : id));
        }
        int groups = (n + k - 1) / k;
        long localExec = 1_000 + random.nextInt(2_000);
        long td = groups * localExec + localExec / 2 + random.nextInt((int) localExec);
        long tp = td + localExec + random.nextInt((int) (2 * localExec));
        this.delayMaxMillis = 1 + random.nextInt(50);
        // Two agents' clocks differ by up to twice the offset bound; add delivery and one tick.
        long startSlack = 2 * CLOCK_OFFSET_MAX_MILLIS + delayMaxMillis + TICK_MILLIS;
        this.cfg = new RoundsConfig(hosts, k, 10_000, tp, td, localExec, 2 * CLOCK_OFFSET_MAX_MILLIS + delayMaxMillis, startSlack, 3_000, 1_000, 8);
        this.fault = forcedFault != null ? forcedFault : Fault.values()[random.nextInt(Fault.values().length)];
        this.rounds = 3 + random.nextInt(2);
        this.lossProbability = fault == Fault.LOSSY_NETWORK ? 0.05 + random.nextDouble() * 0.2 : 0;
        this.duplicateProbability = random.nextDouble() * 0.1;
        this.faultRound = random.nextInt(rounds);
        this.faultReplica = 1 + random.nextInt(n);
        for (String host : cfg.hosts()) {
            long offset = random.nextInt((int) CLOCK_OFFSET_MAX_MILLIS * 2 + 1) - CLOCK_OFFSET_MAX_MILLIS;
            double drift = (random.nextDouble() * 2 - 1) * 20e-6; // ±20 ppm
            agents.put(host, new Agent(host, offset, drift, gateOnPredecessor));
        }
    }

    String describe() {
        return "seed=" + seed + " n=" + cfg.replicaCount() + " k=" + cfg.k() + " hosts=" + cfg.hosts().size()
                + " Tlocal=" + cfg.localExecMillis() + "ms Td=" + cfg.tdMillis() + "ms Tp=" + cfg.tpMillis() + "ms rounds="
                + rounds + " fault=" + fault + (fault == Fault.NONE || fault == Fault.LOSSY_NETWORK ? ""
                : " at round " + faultRound + " replica " + faultReplica) + " loss=" + String.format("%.2f", lossProbability)
                + " dup=" + String.format("%.2f", duplicateProbability) + " delayMax=" + delayMaxMillis + "ms";
    }

    long endMillis() {
        return cfg.roundDeadline(rounds - 1) + 2 * FAIL_SAFE_WITHIN_MILLIS;
    }

    /** Runs to the end of the last round's deadline (plus the fail-safe allowance), checking after every event. */
    RoundsSimulation run() {
        trueNow = cfg.epochMillis() - 2_000 - RoundsCore.learnMillis(cfg);
        for (Agent a : agents.values()) {
            schedule(trueNow + random.nextInt((int) TICK_MILLIS), () -> tick(a));
        }
        if (fault == Fault.CRASH_AGENT) {
            String victim = cfg.replicaHosts().get(faultReplica);
            schedule(cfg.plannedStart(faultRound, cfg.groupOf(faultReplica)) + random.nextInt((int) cfg.localExecMillis()),
                    () -> agents.get(victim).crashed = true);
        }
        if (fault == Fault.RESTART_AGENT) {
            String victim = cfg.replicaHosts().get(faultReplica);
            long at = cfg.plannedStart(faultRound, cfg.groupOf(faultReplica)) + random.nextInt((int) cfg.localExecMillis());
            long back = at + 1_000 + random.nextInt(2_000);
            crashedDuring.put(victim, new long[] {at, back});
            schedule(at, () -> agents.get(victim).crashed = true);
            schedule(back, () -> restart(victim));
        }
        if (fault == Fault.PARTITION_AGENT) {
            partitioned = cfg.replicaHosts().get(faultReplica);
            long start = cfg.plannedStart(faultRound, cfg.groupOf(faultReplica)) - cfg.localExecMillis();
            schedule(start, () -> partitionEndMillis = trueNow + cfg.tpMillis() * 2);
        }
        for (int i = 0; i < ONE_OFF_REQUESTS; i++) {
            int replica = 1 + random.nextInt(cfg.replicaCount());
            schedule(cfg.epochMillis() + (long) (random.nextDouble() * (endMillis() - cfg.epochMillis())), () -> oneOff(replica));
        }
        while (!queue.isEmpty() && queue.peek().at() <= endMillis()) {
            Scheduled s = queue.poll();
            trueNow = s.at();
            s.action().run();
            check();
        }
        checkAtEnd();
        return this;
    }

    /** The agent comes back with a fresh core (its memory is gone); its replica may still be down. */
    private void restart(String host) {
        Agent old = agents.get(host);
        Agent fresh = new Agent(host, old.offsetMillis, old.driftPerMillis, old.core.gateOnPredecessor);
        fresh.failSafeAt.putAll(old.failSafeAt);
        agents.put(host, fresh);
        restarted.add(host);
        schedule(trueNow, () -> tick(fresh));
    }

    private void schedule(long at, Runnable action) {
        queue.add(new Scheduled(at, sequence++, action));
    }

    int oneOffsRun;

    private void oneOff(int replica) {
        Agent a = agents.get(cfg.replicaHosts().get(replica));
        if (a.crashed) {
            return;
        }
        try {
            apply(a, a.core.step(new RoundsEvent.OneOff(a.localNow(), "sim", replica)));
        } catch (IllegalStateException refused) {
            // Refused because it could put more than k down: that is the point.
        }
    }

    private void tick(Agent a) {
        if (a.crashed) {
            return;
        }
        apply(a, a.core.step(new RoundsEvent.Tick(a.localNow())));
        schedule(trueNow + TICK_MILLIS, () -> tick(a));
    }

    private void apply(Agent a, List<RoundsAction> actions) {
        for (RoundsAction action : actions) {
            if (action instanceof StartLocal s) {
                startRejuvenation(a, s);
            } else if (action instanceof Broadcast b) {
                broadcast(a, b.message());
            } else if (action instanceof FailSafe f) {
                a.failSafeAt.putIfAbsent(f.round(), trueNow);
            } else if (action instanceof RoundsAction.Alert al) {
                a.alerts.add(al.reason());
            }
        }
    }

    private void startRejuvenation(Agent a, StartLocal s) {
        if (!a.host.equals(cfg.replicaHosts().get(s.replicaId()))) {
            violations.add(a.host + " started replica " + s.replicaId() + " of another host");
        }
        if (!s.oneOff() && !startedIn.computeIfAbsent(s.round(), r -> new HashSet<>()).add(s.replicaId())
                && !restarted.contains(a.host)) {
            violations.add("replica " + s.replicaId() + " started twice in round " + s.round());
        }
        down.add(s.replicaId());
        oneOffsRun += s.oneOff() ? 1 : 0;
        boolean targeted = s.round() == faultRound && s.replicaId() == faultReplica;
        long duration = (long) (cfg.localExecMillis() * (0.3 + random.nextDouble() * 0.6));
        boolean ok = true;
        if (targeted && fault == Fault.OVERRUN) {
            duration = cfg.tdMillis() + 2 * FAIL_SAFE_WITHIN_MILLIS;
        } else if (targeted && fault == Fault.FAIL_REJUVENATION) {
            ok = false;
        }
        long startedLocal = a.localNow();
        boolean result = ok;
        schedule(trueNow + duration, () -> finishRejuvenation(a, s, result, startedLocal));
    }

    private void finishRejuvenation(Agent a, StartLocal s, boolean ok, long startedLocal) {
        if (a.crashed) {
            return; // fail-silent: the replica stays down and no "done" is ever sent
        }
        if (ok && s.oneOff()) {
            down.remove(s.replicaId());
        } else if (ok) {
            down.remove(s.replicaId());
            okFinishedAt.computeIfAbsent(s.round(), r -> new HashMap<>()).put(s.replicaId(), trueNow);
        }
        apply(a, a.core.step(new RoundsEvent.LocalFinished(a.localNow(), s.round(), s.replicaId(), ok, startedLocal)));
    }

    private void broadcast(Agent from, RoundMessage m) {
        for (Agent to : agents.values()) {
            if (to == from || cut(from, to) || random.nextDouble() < lossProbability) {
                continue;
            }
            int copies = random.nextDouble() < duplicateProbability ? 2 : 1;
            for (int c = 0; c < copies; c++) {
                schedule(trueNow + 1 + random.nextInt((int) delayMaxMillis), () -> deliver(to, m));
            }
        }
    }

    private boolean cut(Agent a, Agent b) {
        return partitioned != null && trueNow < partitionEndMillis && (a.host.equals(partitioned) || b.host.equals(partitioned));
    }

    private void deliver(Agent to, RoundMessage m) {
        if (!to.crashed) {
            apply(to, to.core.step(new RoundsEvent.Received(to.localNow(), m)));
        }
    }

    /** After every event: never more than k replicas down. */
    private void check() {
        if (down.size() > cfg.k()) {
            violations.add("at " + trueNow + " ms " + down.size() + " replicas down " + down + " > k = " + cfg.k());
        }
    }

    /**
     * Every round whose replicas were not all rejuvenated well after its deadline must have fired the
     * fail-safe on every agent still running, within 1 s of the deadline; a run without faults fires
     * nothing and finishes every round within T_d.
     */
    private void checkAtEnd() {
        for (long r = 0; r < rounds; r++) {
            long deadline = cfg.roundDeadline(r);
            Map<Integer, Long> finished = okFinishedAt.getOrDefault(r, Map.of());
            boolean clearMiss = cfg.replicaHosts().keySet().stream()
                    .anyMatch(id -> finished.getOrDefault(id, Long.MAX_VALUE) > deadline + FAIL_SAFE_WITHIN_MILLIS);
            for (Agent a : agents.values()) {
                Long firedAt = a.failSafeAt.get(r);
                long[] away = crashedDuring.get(a.host);
                boolean awayAtDeadline = away != null && away[0] <= deadline + FAIL_SAFE_WITHIN_MILLIS && away[1] >= deadline;
                if (clearMiss && !a.crashed && !awayAtDeadline
                        && (firedAt == null || firedAt > deadline + FAIL_SAFE_WITHIN_MILLIS)) {
                    violations.add("round " + r + " missed T_d but agent " + a.host + " fired the fail-safe "
                            + (firedAt == null ? "never" : (firedAt - deadline) + " ms after the deadline"));
                }
                if (fault == Fault.NONE && firedAt != null) {
                    violations.add("no fault injected, yet agent " + a.host + " fired the fail-safe in round " + r);
                }
            }
            if (fault == Fault.NONE && finished.size() != cfg.replicaCount()) {
                violations.add("no fault injected, yet round " + r + " rejuvenated only " + finished.keySet());
            }
        }
    }
}
