package io.rsmr.agent.rounds;

import io.rsmr.agent.rounds.RoundMessage.Done;
import io.rsmr.agent.rounds.RoundMessage.Heartbeat;
import io.rsmr.agent.rounds.RoundMessage.OneOffDone;
import io.rsmr.agent.rounds.RoundMessage.OneOffGrant;
import io.rsmr.agent.rounds.RoundMessage.OneOffRequest;
import io.rsmr.agent.rounds.RoundMessage.OneOffStarted;
import io.rsmr.agent.rounds.RoundMessage.Started;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rejuvenation rounds of one agent, as a pure state machine (section 3.3, Figure 3): round r
 * starts at epoch + r·T_p; its ⌈n/k⌉ groups follow each other, group g planned at the round's start
 * + g·T_localexec; a group starts only when this agent holds an ok "done" for every replica of the
 * group before it, so never more than k replicas are down, even when a slot overran. Every agent
 * checks every global deadline (T_d of each round, the start of each round within T_p) and fires
 * the fail-safe when one is missed.
 *
 * <p>A one-off rejuvenation of a named replica, outside the schedule, keeps the same bound through
 * grants: its agent asks every agent; each grants at most one one-off at a time, and only when no
 * replica is known to be down, the current round is over and the next one is more than T_localexec
 * plus the start slack away; having granted, it starts no group until that one-off's Done. The
 * requester starts only with every grant, so a lost message can stop a one-off, never overlap it.
 *
 * <p>No clock, thread, socket or randomness: time comes in with each event, messages come in
 * authenticated, and actions go out for the shell to carry out in order.
 */
public final class RoundsCore {
    /** Heartbeats go out often enough that silenceMax covers three of them. */
    private static final int HEARTBEATS_PER_SILENCE = 3;

    private final RoundsConfig cfg;
    private final String self;
    /** groups.get(g) for every g, and each replica's group: computed once, used on every tick. */
    private final List<List<Integer>> groups = new ArrayList<>();
    private final Map<Integer, Integer> groupOf = new HashMap<>();
    private final List<String> hosts;
    private final TreeMap<Long, RoundState> rounds = new TreeMap<>();
    private final Map<Integer, Long> localRunning = new HashMap<>();
    /** One-offs under way (ours and others'), by replica; a failed one stays: its replica may be down. */
    private final Map<Integer, OneOffStarted> oneOffs = new HashMap<>();
    /** The last ended one-off per replica, repeated for a period so that a lost Done is made good. */
    private final Map<Integer, OneOffDone> oneOffsDone = new HashMap<>();
    /** The one one-off this agent has granted (its own included), held until that one-off's Done. */
    private OneOffRequest granted;
    /** This agent's own request while it gathers grants, and who granted it so far. */
    private OneOffRequest requested;
    private final Set<String> grants = new HashSet<>();
    private final Map<String, Long> lastHeard = new HashMap<>();
    private final Set<String> silent = new HashSet<>();
    private final Set<String> offClock = new HashSet<>();
    private final List<RoundsAction> out = new ArrayList<>();
    private long now = Long.MIN_VALUE;
    private long heartbeatSequence;
    private long lastHeartbeatMillis = Long.MIN_VALUE;
    private long lastRebroadcastMillis = Long.MIN_VALUE;
    /** Rounds before this one are not run and not checked: before the epoch, or skipped by a pause. */
    private long firstRound;
    /** Deadlines of rounds that began before this agent was listening are not its to judge. */
    private long judgedFrom;
    /** No local start before this: a (re)started agent first learns from the others' repeats what is down. */
    private long startsAllowedFrom;
    private boolean paused;
    private long pausedAtMillis;
    private boolean pauseOverTpAlerted;
    /** Test-only switch: a core that starts groups without waiting for the previous one (must be caught). */
    boolean gateOnPredecessor = true;

    public RoundsCore(RoundsConfig cfg, String self) {
        if (!cfg.replicaHosts().containsValue(self)) {
            throw new IllegalArgumentException("host " + self + " runs no replica of this cluster");
        }
        this.cfg = cfg;
        this.self = self;
        this.hosts = cfg.hosts();
        for (int g = 0; g < cfg.groupCount(); g++) {
            groups.add(cfg.group(g));
            for (int id : cfg.group(g)) {
                groupOf.put(id, g);
            }
        }
    }

    /** Takes one event; returns the actions it causes (a fresh list the caller owns). */
    public List<RoundsAction> step(RoundsEvent event) {
        out.clear();
        if (event instanceof RoundsEvent.Tick t) {
            advance(t.nowMillis());
        } else if (event instanceof RoundsEvent.Received r) {
            advance(r.nowMillis());
            receive(r.message());
        } else if (event instanceof RoundsEvent.LocalFinished f) {
            advance(f.nowMillis());
            finishLocal(f);
        } else if (event instanceof RoundsEvent.Pause p) {
            advance(p.nowMillis());
            pause(p);
        } else if (event instanceof RoundsEvent.Resume r) {
            advance(r.nowMillis());
            resume(r);
        } else if (event instanceof RoundsEvent.OneOff o) {
            advance(o.nowMillis());
            oneOff(o);
        }
        evaluate();
        return List.copyOf(out);
    }

    private void advance(long nowMillis) {
        if (now == Long.MIN_VALUE) {
            // Everyone counts as heard at start: silence is measured from when this agent began listening.
            hosts.forEach(h -> lastHeard.put(h, nowMillis));
            judgedFrom = Math.max(0, cfg.roundAt(nowMillis));
            startsAllowedFrom = nowMillis + learnMillis(cfg);
        }
        now = Math.max(now, nowMillis);
    }

    /** How long a fresh core listens before it may start anything: two rounds of repeats, and the slack. */
    public static long learnMillis(RoundsConfig cfg) {
        return 2 * cfg.rebroadcastMillis() + cfg.startSlackMillis();
    }

    private void receive(RoundMessage m) {
        if (!hosts.contains(m.origin())) {
            return;
        }
        if (m.origin().equals(self)) {
            relearnOwn(m);
            return;
        }
        // Only an agent's own heartbeats prove it alive: its Started and Done are relayed by the others.
        if (m instanceof Heartbeat h) {
            lastHeard.put(h.origin(), now);
            if (silent.remove(h.origin())) {
                out.add(new RoundsAction.Alert("agent " + h.origin() + " is heard again"));
            }
            watchClock(h);
        } else if (m instanceof Started s && owns(s.origin(), s.replicaId()) && keep(s.round())) {
            round(s.round()).started.putIfAbsent(s.replicaId(), s);
        } else if (m instanceof Done d && owns(d.origin(), d.replicaId()) && keep(d.round())) {
            round(d.round()).done.putIfAbsent(d.replicaId(), d);
        } else if (m instanceof OneOffRequest q && owns(q.origin(), q.replicaId()) && !ended(q.replicaId(), q.id())) {
            considerGrant(q);
        } else if (m instanceof OneOffGrant g && g.requester().equals(self) && requested != null
                && g.id() == requested.id() && g.replicaId() == requested.replicaId()) {
            grants.add(g.origin());
            startOneOffIfGranted();
        } else if (m instanceof OneOffStarted o && owns(o.origin(), o.replicaId()) && !ended(o.replicaId(), o.id())) {
            oneOffs.putIfAbsent(o.replicaId(), o);
        } else if (m instanceof OneOffDone d && owns(d.origin(), d.replicaId())) {
            endOneOff(d);
        }
    }

    /**
     * The sender's clock minus ours, as far as one heartbeat shows: the message's delay only makes the
     * sender look further behind, so an estimate beyond the bound in either direction is reported.
     */
    private void watchClock(Heartbeat h) {
        long offset = h.sentMillis() - now;
        if (Math.abs(offset) > cfg.clockOffsetMaxMillis()) {
            if (offClock.add(h.origin())) {
                out.add(new RoundsAction.Alert("clock of agent " + h.origin() + " is " + Math.abs(offset) + " ms "
                        + (offset > 0 ? "ahead of" : "behind") + " ours, beyond the bound of " + cfg.clockOffsetMaxMillis()
                        + " ms: deadlines are not trustworthy"));
            }
        } else if (offClock.remove(h.origin())) {
            out.add(new RoundsAction.Alert("clock of agent " + h.origin() + " is back within " + cfg.clockOffsetMaxMillis() + " ms"));
        }
    }

    /** Only the agent of a replica's host speaks for it. */
    private boolean owns(String origin, int replicaId) {
        return origin.equals(cfg.replicaHosts().get(replicaId));
    }

    private boolean keep(long round) {
        long current = cfg.roundAt(now);
        return round >= 0 && round <= current + 1 && round > current - cfg.roundsKept();
    }

    /**
     * The others repeat this agent's own Started and Done: after a restart that is how it learns what
     * it did before. A Started without a Done is a rejuvenation its crash interrupted; it is run again.
     */
    private void relearnOwn(RoundMessage m) {
        if (m instanceof Started s && keep(s.round())) {
            round(s.round()).started.putIfAbsent(s.replicaId(), s);
        } else if (m instanceof Done d && keep(d.round())) {
            round(d.round()).done.putIfAbsent(d.replicaId(), d);
        }
    }

    private boolean ended(int replicaId, long id) {
        OneOffDone done = oneOffsDone.get(replicaId);
        return done != null && done.id() == id;
    }

    private void endOneOff(OneOffDone d) {
        OneOffStarted started = oneOffs.get(d.replicaId());
        if (d.ok() && (started == null || started.id() == d.id())) {
            oneOffs.remove(d.replicaId());
        }
        if (granted != null && granted.replicaId() == d.replicaId() && granted.id() == d.id()) {
            granted = null;
        }
        oneOffsDone.put(d.replicaId(), d);
    }

    private void oneOff(RoundsEvent.OneOff o) {
        String host = cfg.replicaHosts().get(o.replicaId());
        if (!self.equals(host)) {
            throw new IllegalArgumentException("replica " + o.replicaId() + (host == null ? " is not in this cluster"
                    : " runs on " + host + ": ask its agent"));
        }
        String refusal = requested != null ? "one-off of replica " + requested.replicaId() + " is still gathering grants"
                : granted != null ? "this agent has granted the one-off of replica " + granted.replicaId() : oneOffRefusal();
        if (refusal != null) {
            throw new IllegalStateException("one-off rejuvenation of replica " + o.replicaId() + " refused: " + refusal);
        }
        requested = new OneOffRequest(self, o.replicaId(), now);
        granted = requested;
        grants.clear();
        grants.add(self);
        out.add(new RoundsAction.Broadcast(requested));
        out.add(new RoundsAction.Alert("one-off rejuvenation of replica " + o.replicaId() + " requested by " + o.by()
                + ": waiting for every agent's grant"));
        startOneOffIfGranted();
    }

    /** Grants another agent's one-off when this agent would allow it itself and has granted no other. */
    private void considerGrant(OneOffRequest q) {
        if (granted == null && oneOffRefusal() == null) {
            granted = q;
        }
        if (q.equals(granted)) {
            out.add(new RoundsAction.Broadcast(new OneOffGrant(self, q.origin(), q.replicaId(), q.id())));
        }
    }

    private void startOneOffIfGranted() {
        if (requested == null || !grants.containsAll(hosts)) {
            return;
        }
        OneOffStarted started = new OneOffStarted(self, requested.replicaId(), requested.id());
        oneOffs.put(started.replicaId(), started);
        localRunning.put(started.replicaId(), (long) RoundsAction.StartLocal.ONE_OFF);
        requested = null;
        out.add(new RoundsAction.StartLocal(RoundsAction.StartLocal.ONE_OFF, RoundsAction.StartLocal.ONE_OFF,
                started.replicaId(), now + cfg.localExecMillis()));
        out.add(new RoundsAction.Broadcast(started));
    }

    /** A request not granted by all within the start slack is given up, and the grants released. */
    private void expireRequest() {
        if (requested == null || now - requested.id() <= cfg.startSlackMillis() + cfg.rebroadcastMillis()) {
            return;
        }
        List<String> missing = hosts.stream().filter(h -> !grants.contains(h)).toList();
        OneOffDone released = new OneOffDone(self, requested.replicaId(), requested.id(), true, now);
        requested = null;
        endOneOff(released);
        out.add(new RoundsAction.Broadcast(released));
        out.add(new RoundsAction.Alert("one-off rejuvenation of replica " + released.replicaId() + " not started: no grant from "
                + missing + " (busy, or a rejuvenation is under way, or the next round is near)"));
    }

    /** Why a one-off now could put more than k replicas down, or null if it cannot. */
    private String oneOffRefusal() {
        if (!localRunning.isEmpty() || !oneOffs.isEmpty() || granted != null) {
            return "a rejuvenation is under way (replicas " + localRunning.keySet() + ", one-offs " + oneOffs.keySet() + ")";
        }
        long current = cfg.roundAt(now);
        List<Integer> down = startedNotDone(current);
        if (!down.isEmpty()) {
            return "replicas " + down + " are being rejuvenated";
        }
        for (long r = Math.max(firstRound, current - 1); r <= current; r++) {
            if (r >= 0 && !paused && !notOkDone(r).isEmpty()) {
                return "round " + r + " is under way (replicas " + notOkDone(r) + " not yet done)";
            }
        }
        long next = cfg.roundStart(Math.max(firstRound, current + 1));
        if (!paused && now + cfg.localExecMillis() + cfg.startSlackMillis() > next) {
            return "the next round starts in " + (next - now) + " ms, within T_localexec + slack ("
                    + (cfg.localExecMillis() + cfg.startSlackMillis()) + " ms)";
        }
        return null;
    }

    /** Replicas started in the previous or current round without an ok Done: possibly down. */
    private List<Integer> startedNotDone(long current) {
        List<Integer> down = new ArrayList<>();
        for (long r = Math.max(0, current - 1); r <= current; r++) {
            RoundState state = rounds.get(r);
            if (state != null) {
                state.started.keySet().stream().filter(id -> state.done.get(id) == null || !state.done.get(id).ok())
                        .forEach(down::add);
            }
        }
        return down;
    }

    private void finishLocal(RoundsEvent.LocalFinished f) {
        Long running = localRunning.get(f.replicaId());
        if (running == null || running != f.round()) {
            throw new IllegalStateException("replica " + f.replicaId() + " finished round " + f.round()
                    + " but was not started in it (running: " + running + ")");
        }
        localRunning.remove(f.replicaId());
        if (f.round() == RoundsAction.StartLocal.ONE_OFF) {
            OneOffDone d = new OneOffDone(self, f.replicaId(), oneOffs.get(f.replicaId()).id(), f.ok(), now);
            endOneOff(d);
            out.add(new RoundsAction.Broadcast(d));
            out.add(new RoundsAction.Alert("one-off rejuvenation of replica " + f.replicaId() + (f.ok() ? " done"
                    : " FAILED: the replica may be down, so no group starts until it is rejuvenated")));
            return;
        }
        Done d = new Done(self, f.round(), f.replicaId(), f.ok(), f.startedMillis(), now);
        round(f.round()).done.put(f.replicaId(), d);
        out.add(new RoundsAction.Broadcast(d));
    }

    private void pause(RoundsEvent.Pause p) {
        if (paused) {
            return;
        }
        paused = true;
        pausedAtMillis = now;
        pauseOverTpAlerted = false;
        out.add(new RoundsAction.Alert("rounds paused by " + p.by()
                + ": no replica is rejuvenated and EXHAUSTION-SAFETY IS SUSPENDED until rounds are resumed"));
    }

    private void resume(RoundsEvent.Resume r) {
        long current = Math.max(0, cfg.roundAt(now));
        if (r.fromRound() <= current && !(r.fromRound() == current && now < cfg.roundStart(current))) {
            throw new IllegalArgumentException("resume at round " + r.fromRound() + ": it must not have started yet (now in round "
                    + current + ")");
        }
        if (!paused) {
            return;
        }
        paused = false;
        firstRound = Math.max(firstRound, r.fromRound());
        out.add(new RoundsAction.Alert("rounds resumed by " + r.by() + " from round " + r.fromRound() + " (starts at "
                + java.time.Instant.ofEpochMilli(cfg.roundStart(r.fromRound())) + ")"));
    }

    private void evaluate() {
        if (now == Long.MIN_VALUE) {
            return;
        }
        heartbeat();
        expireRequest();
        long current = cfg.roundAt(now);
        for (long r = Math.max(firstRound, current - 1); r <= current; r++) {
            if (r >= 0 && !paused) {
                startLocalReplicas(r);
            }
        }
        for (long r = Math.max(Math.max(firstRound, judgedFrom), current - cfg.roundsKept() + 1); r <= current; r++) {
            if (r >= 0 && !paused) {
                checkDeadlines(r);
                recordGroups(r);
            }
        }
        watchSilence(current);
        watchPause();
        rebroadcast(current);
        rounds.headMap(current - cfg.roundsKept() + 1).clear();
    }

    private void heartbeat() {
        long interval = cfg.silenceMaxMillis() / HEARTBEATS_PER_SILENCE;
        if (lastHeartbeatMillis == Long.MIN_VALUE || now - lastHeartbeatMillis >= interval) {
            lastHeartbeatMillis = now;
            // From the clock, so that it keeps growing across a restart of this agent (receivers refuse
            // a heartbeat whose sequence does not grow: it would be a replay).
            heartbeatSequence = Math.max(heartbeatSequence + 1, now);
            out.add(new RoundsAction.Broadcast(new Heartbeat(self, heartbeatSequence, now)));
        }
    }

    /**
     * Starts this host's replicas of round r whose slot has come and whose predecessor group is done,
     * and again any of them whose rejuvenation was interrupted (Started, no Done, not running here: this
     * agent restarted); that replica is the group everyone is waiting for, so the bound of k holds.
     */
    private void startLocalReplicas(long r) {
        if (now < startsAllowedFrom) {
            return;
        }
        RoundState state = round(r);
        for (Map.Entry<Integer, String> e : cfg.replicaHosts().entrySet()) {
            int id = e.getKey();
            if (!e.getValue().equals(self) || state.done.containsKey(id) || localRunning.containsKey(id)) {
                continue;
            }
            int g = groupOf.get(id);
            boolean interrupted = state.started.containsKey(id);
            if (interrupted || now >= cfg.plannedStart(r, g) && predecessorDone(r, g) && oneOffs.isEmpty() && granted == null) {
                Started s = new Started(self, r, id, now);
                state.started.put(id, s);
                localRunning.put(id, r);
                out.add(new RoundsAction.StartLocal(r, g, id, now + cfg.localExecMillis()));
                out.add(new RoundsAction.Broadcast(s));
            }
        }
    }

    /** The group before (r, g) — the last group of round r−1 for g = 0 — has every replica ok-done. */
    private boolean predecessorDone(long r, int g) {
        if (!gateOnPredecessor) {
            return true;
        }
        if (g > 0) {
            return groupOkDone(r, g - 1);
        }
        return r == firstRound || groupOkDone(r - 1, cfg.groupCount() - 1);
    }

    private boolean groupOkDone(long r, int g) {
        RoundState state = rounds.get(r);
        if (state == null) {
            return false;
        }
        for (int id : groups.get(g)) {
            Done d = state.done.get(id);
            if (d == null || !d.ok()) {
                return false;
            }
        }
        return true;
    }

    private void checkDeadlines(long r) {
        RoundState state = round(r);
        if (!state.tdFired && now >= cfg.roundDeadline(r)) {
            List<Integer> missing = notOkDone(r);
            if (!missing.isEmpty()) {
                state.tdFired = true;
                out.add(new RoundsAction.FailSafe(r, "round " + r + " missed T_d: replicas " + missing
                        + " not rejuvenated by " + java.time.Instant.ofEpochMilli(cfg.roundDeadline(r))));
            }
        }
        if (!state.tpFired && now >= cfg.roundStart(r) + cfg.startSlackMillis()) {
            List<Integer> late = new ArrayList<>();
            for (int id : groups.get(0)) {
                if (!state.started.containsKey(id) && !state.done.containsKey(id)) {
                    late.add(id);
                }
            }
            if (!late.isEmpty()) {
                state.tpFired = true;
                out.add(new RoundsAction.FailSafe(r, "round " + r + " did not start within T_p of round " + (r - 1)
                        + ": replicas " + late + " of group 0 not started by "
                        + java.time.Instant.ofEpochMilli(cfg.roundStart(r) + cfg.startSlackMillis())));
            }
        }
    }

    private List<Integer> notOkDone(long r) {
        RoundState state = round(r);
        List<Integer> missing = new ArrayList<>();
        for (int id : cfg.replicaHosts().keySet()) {
            Done d = state.done.get(id);
            if (d == null || !d.ok()) {
                missing.add(id);
            }
        }
        return missing;
    }

    /** Emits each group's record once: when all its replicas are done, or at the round's deadline. */
    private void recordGroups(long r) {
        RoundState state = round(r);
        boolean deadlinePassed = now >= cfg.roundDeadline(r);
        for (int g = 0; g < cfg.groupCount(); g++) {
            if (state.recorded.contains(g)) {
                continue;
            }
            boolean complete = groups.get(g).stream().allMatch(state.done::containsKey);
            if (complete || deadlinePassed) {
                state.recorded.add(g);
                out.add(new RoundsAction.Record(groupRecord(r, g)));
            }
        }
    }

    private GroupRecord groupRecord(long r, int g) {
        RoundState state = rounds.get(r);
        long start = -1;
        long end = -1;
        boolean ok = true;
        for (int id : groups.get(g)) {
            Started s = state == null ? null : state.started.get(id);
            Done d = state == null ? null : state.done.get(id);
            long startedAt = d != null ? d.startedMillis() : s != null ? s.startedMillis() : -1;
            if (startedAt >= 0) {
                start = start < 0 ? startedAt : Math.min(start, startedAt);
            }
            if (d == null || !d.ok()) {
                ok = false;
                end = -1;
            } else if (ok) {
                end = Math.max(end, d.endedMillis());
            }
        }
        return new GroupRecord(r, g, groups.get(g), cfg.plannedStart(r, g), cfg.plannedStart(r, g + 1), start,
                ok ? end : -1, cfg.roundDeadline(r), ok);
    }

    /** A silent agent is reported; once its replica can no longer be rejuvenated within T_d, the fail-safe fires. */
    private void watchSilence(long current) {
        for (String host : hosts) {
            if (host.equals(self)) {
                continue;
            }
            long quietFor = now - lastHeard.get(host);
            if (quietFor > cfg.silenceMaxMillis() && silent.add(host)) {
                out.add(new RoundsAction.Alert("agent " + host + " is silent: not heard for " + quietFor + " ms"));
            }
            if (silent.contains(host) && current >= firstRound && current >= 0 && !paused) {
                failSafeIfTooLate(current, host);
            }
        }
    }

    private void failSafeIfTooLate(long r, String host) {
        RoundState state = round(r);
        if (state.silenceFired.contains(host)) {
            return;
        }
        for (Map.Entry<Integer, String> e : cfg.replicaHosts().entrySet()) {
            int id = e.getKey();
            if (!e.getValue().equals(host) || state.started.containsKey(id) || state.done.containsKey(id)) {
                continue;
            }
            long latestStart = cfg.roundDeadline(r) - (long) (cfg.groupCount() - groupOf.get(id)) * cfg.localExecMillis();
            if (now > latestStart) {
                state.silenceFired.add(host);
                out.add(new RoundsAction.FailSafe(r, "agent " + host + " is silent and its replica " + id
                        + " can no longer be rejuvenated within T_d of round " + r));
                return;
            }
        }
    }

    private void watchPause() {
        if (paused && !pauseOverTpAlerted && now - pausedAtMillis > cfg.tpMillis()) {
            pauseOverTpAlerted = true;
            out.add(new RoundsAction.Alert("rounds have been paused for more than T_p (" + cfg.tpMillis()
                    + " ms): replicas are past their rejuvenation period; resume rounds"));
        }
    }

    /** Round messages may be lost; every agent repeats what it knows of the current and previous round. */
    private void rebroadcast(long current) {
        if (lastRebroadcastMillis != Long.MIN_VALUE && now - lastRebroadcastMillis < cfg.rebroadcastMillis()) {
            return;
        }
        lastRebroadcastMillis = now;
        if (requested != null) {
            out.add(new RoundsAction.Broadcast(requested));
        }
        if (granted != null && !granted.origin().equals(self)) {
            out.add(new RoundsAction.Broadcast(new OneOffGrant(self, granted.origin(), granted.replicaId(), granted.id())));
        }
        oneOffs.values().forEach(o -> out.add(new RoundsAction.Broadcast(o)));
        oneOffsDone.values().removeIf(d -> now - d.endedMillis() > cfg.tpMillis());
        oneOffsDone.values().forEach(d -> out.add(new RoundsAction.Broadcast(d)));
        for (long r = Math.max(0, current - 1); r <= current; r++) {
            RoundState state = rounds.get(r);
            if (state != null) {
                state.started.values().forEach(s -> out.add(new RoundsAction.Broadcast(s)));
                state.done.values().forEach(d -> out.add(new RoundsAction.Broadcast(d)));
            }
        }
    }

    private RoundState round(long r) {
        return rounds.computeIfAbsent(r, x -> new RoundState());
    }

    /** What this agent knows of each kept round, group by group, for status and reports. */
    public List<GroupRecord> status() {
        List<GroupRecord> all = new ArrayList<>();
        for (long r : rounds.keySet()) {
            for (int g = 0; g < cfg.groupCount(); g++) {
                all.add(groupRecord(r, g));
            }
        }
        return all;
    }

    public boolean paused() {
        return paused;
    }

    /** Replica id → round, for this host's rejuvenations under way. */
    public Map<Integer, Long> localRunning() {
        return Map.copyOf(localRunning);
    }

    public Set<String> silentAgents() {
        return Set.copyOf(silent);
    }

    /** What one agent knows of one round. */
    private static final class RoundState {
        final Map<Integer, Started> started = new LinkedHashMap<>();
        final Map<Integer, Done> done = new LinkedHashMap<>();
        final Set<Integer> recorded = new HashSet<>();
        final Set<String> silenceFired = new HashSet<>();
        boolean tdFired;
        boolean tpFired;
    }
}
