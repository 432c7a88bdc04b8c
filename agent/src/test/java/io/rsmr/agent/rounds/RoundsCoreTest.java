package io.rsmr.agent.rounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.agent.rounds.RoundMessage.Done;
import io.rsmr.agent.rounds.RoundMessage.Heartbeat;
import io.rsmr.agent.rounds.RoundMessage.Started;
import io.rsmr.agent.rounds.RoundsAction.FailSafe;
import io.rsmr.agent.rounds.RoundsAction.StartLocal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One test per rule of the rounds (section 3.3 and issue 7), as scripts of events. Cluster: 4 replicas
 * on hosts h1..h4, k = 1, T_localexec = 1 s, T_d = 5 s, T_p = 10 s, epoch at 100 s.
 */
class RoundsCoreTest {
    private static final long EPOCH = 100_000;
    private static final long LOCAL = 1_000;
    private static final long TD = 5_000;
    private static final long TP = 10_000;
    private static final long SLACK = 500;
    private static final long SILENCE = 3_000;

    private static RoundsConfig cfg() {
        Map<Integer, String> hosts = new LinkedHashMap<>();
        for (int i = 1; i <= 4; i++) {
            hosts.put(i, "h" + i);
        }
        return new RoundsConfig(hosts, 1, EPOCH, TP, TD, LOCAL, 200, SLACK, SILENCE, 1_000, 4);
    }

    /** A core that has listened long enough (RoundsCore.learnMillis) to start rejuvenations at the epoch. */
    private static RoundsCore booted(String host) {
        RoundsCore c = new RoundsCore(cfg(), host);
        c.step(new RoundsEvent.Tick(EPOCH - 3_000));
        return c;
    }

    private static List<RoundsAction> tick(RoundsCore c, long now) {
        return c.step(new RoundsEvent.Tick(now));
    }

    private static List<RoundsAction> receive(RoundsCore c, long now, RoundMessage m) {
        return c.step(new RoundsEvent.Received(now, m));
    }

    private static <T> List<T> only(List<RoundsAction> actions, Class<T> type) {
        return actions.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Keeps the other agents audible, so that silence does not muddle the rule under test. */
    private static void heartbeats(RoundsCore c, long now) {
        for (int i = 1; i <= 4; i++) {
            receive(c, now, new Heartbeat("h" + i, now, now));
        }
    }

    @Test
    void groupZeroStartsAtTheRoundStartAndNotBefore() {
        RoundsCore h1 = booted("h1");
        assertEquals(List.of(), only(tick(h1, EPOCH - 1), StartLocal.class));
        List<RoundsAction> at = tick(h1, EPOCH);
        assertEquals(List.of(new StartLocal(0, 0, 1, EPOCH + LOCAL)), only(at, StartLocal.class));
        assertTrue(at.contains(new RoundsAction.Broadcast(new Started("h1", 0, 1, EPOCH))), at.toString());
        assertEquals(List.of(), only(tick(h1, EPOCH + 100), StartLocal.class), "a replica starts once per round");
    }

    @Test
    void aGroupWaitsForTheDoneOfThePreviousGroupEvenAfterItsSlotCame() {
        RoundsCore h2 = booted("h2");
        heartbeats(h2, EPOCH);
        assertEquals(List.of(), only(tick(h2, EPOCH + LOCAL + 300), StartLocal.class), "group 0 overran its slot");
        List<RoundsAction> after = receive(h2, EPOCH + LOCAL + 400, new Done("h1", 0, 1, true, EPOCH, EPOCH + LOCAL + 350));
        assertEquals(List.of(new StartLocal(0, 1, 2, EPOCH + 2 * LOCAL + 400)), only(after, StartLocal.class));
    }

    @Test
    void aFailedRejuvenationHoldsTheNextGroupBack() {
        RoundsCore h2 = booted("h2");
        heartbeats(h2, EPOCH);
        List<RoundsAction> a = receive(h2, EPOCH + LOCAL, new Done("h1", 0, 1, false, EPOCH, EPOCH + 900));
        assertEquals(List.of(), only(a, StartLocal.class), "replica 1 may still be down: starting 2 would make 2 down");
    }

    @Test
    void onlyTheReplicasOwnAgentSpeaksForIt() {
        RoundsCore h2 = booted("h2");
        heartbeats(h2, EPOCH);
        List<RoundsAction> forged = receive(h2, EPOCH + LOCAL, new Done("h3", 0, 1, true, EPOCH, EPOCH + 900));
        assertEquals(List.of(), only(forged, StartLocal.class), "h3 cannot report replica 1 done");
        List<RoundsAction> farFuture = receive(h2, EPOCH + LOCAL, new Done("h1", 7, 1, true, EPOCH, EPOCH + 900));
        assertEquals(List.of(), only(farFuture, StartLocal.class), "a done of a round far ahead is not kept");
    }

    @Test
    void aMissedTdFiresTheFailSafeOnceAtTheFirstTickAfterTheDeadline() {
        RoundsCore h4 = new RoundsCore(cfg(), "h4");
        tick(h4, EPOCH);
        for (long t = EPOCH; t < EPOCH + TD; t += 1_000) {
            heartbeats(h4, t);
            receive(h4, t, new Started("h1", 0, 1, EPOCH));
            assertEquals(List.of(), only(tick(h4, t), FailSafe.class), "at " + (t - EPOCH));
        }
        List<FailSafe> fired = only(tick(h4, EPOCH + TD), FailSafe.class);
        assertEquals(1, fired.size(), fired.toString());
        assertTrue(fired.get(0).reason().startsWith("round 0 missed T_d: replicas [1, 2, 3, 4] not rejuvenated"), fired.toString());
        assertEquals(List.of(), only(tick(h4, EPOCH + TD + 100), FailSafe.class), "fires once per round");
    }

    @Test
    void aRoundThatDoesNotStartWithinItsSlackFiresTheFailSafe() {
        RoundsCore h3 = new RoundsCore(cfg(), "h3");
        heartbeats(h3, EPOCH);
        assertEquals(List.of(), only(tick(h3, EPOCH + SLACK - 1), FailSafe.class));
        List<FailSafe> fired = only(tick(h3, EPOCH + SLACK), FailSafe.class);
        assertEquals(1, fired.size());
        assertTrue(fired.get(0).reason().contains("did not start within T_p"), fired.toString());
    }

    @Test
    void pausingStopsStartsAlertsLoudlyAndAgainAfterTp() {
        RoundsCore h1 = new RoundsCore(cfg(), "h1");
        List<RoundsAction> paused = h1.step(new RoundsEvent.Pause(EPOCH - 1_000, "ops@example"));
        assertTrue(only(paused, RoundsAction.Alert.class).get(0).reason().contains("EXHAUSTION-SAFETY IS SUSPENDED"));
        heartbeats(h1, EPOCH);
        assertEquals(List.of(), only(tick(h1, EPOCH), StartLocal.class));
        assertEquals(List.of(), only(tick(h1, EPOCH + TD), FailSafe.class), "the operator suspended the deadlines");
        heartbeats(h1, EPOCH + TP - 1_000);
        List<RoundsAction.Alert> late = only(tick(h1, EPOCH + TP), RoundsAction.Alert.class);
        assertTrue(late.stream().anyMatch(a -> a.reason().contains("paused for more than T_p")), late.toString());
        assertThrows(IllegalArgumentException.class, () -> h1.step(new RoundsEvent.Resume(EPOCH + TP, "ops", 1)),
                "round 1 has begun: resuming in it would run it late");
        h1.step(new RoundsEvent.Resume(EPOCH + TP, "ops", 2));
        heartbeats(h1, EPOCH + 2 * TP - 1);
        assertEquals(List.of(new StartLocal(2, 0, 1, EPOCH + 2 * TP + LOCAL)), only(tick(h1, EPOCH + 2 * TP), StartLocal.class),
                "the first round after the pause has no previous round to wait for");
    }

    @Test
    void aSilentAgentIsReportedThenFailSafeWhenItsReplicaCanNoLongerMakeTd() {
        RoundsCore h1 = new RoundsCore(cfg(), "h1");
        List<RoundsAction> all = new java.util.ArrayList<>(tick(h1, EPOCH - 10_000));
        for (long t = EPOCH - 10_000; t <= EPOCH + 4_000; t += 500) {
            all.addAll(receive(h1, t, new Heartbeat("h2", t, t)));
            all.addAll(receive(h1, t, new Heartbeat("h3", t, t)));
            all.addAll(tick(h1, t));
        }
        assertTrue(only(all, RoundsAction.Alert.class).stream().anyMatch(a -> a.reason().startsWith("agent h4 is silent")),
                all.toString());
        // Replica 4 is in the last group: it must start by T_d - 1 x T_localexec = EPOCH + 4 s.
        assertEquals(List.of(), only(all, FailSafe.class).stream().filter(f -> f.reason().contains("silent")).toList());
        List<FailSafe> fired = only(tick(h1, EPOCH + 4_001), FailSafe.class);
        assertEquals(List.of(new FailSafe(0, "agent h4 is silent and its replica 4 can no longer be rejuvenated within T_d"
                + " of round 0")), fired);
    }

    @Test
    void aClockBeyondTheOffsetBoundIsReportedOnceAndItsReturnToo() {
        RoundsCore h1 = new RoundsCore(cfg(), "h1");
        tick(h1, EPOCH - 5_000);
        List<RoundsAction.Alert> ahead = only(receive(h1, EPOCH - 4_000, new Heartbeat("h2", 1, EPOCH - 4_000 + 201)),
                RoundsAction.Alert.class);
        assertEquals(List.of(new RoundsAction.Alert("clock of agent h2 is 201 ms ahead of ours, beyond the bound of 200 ms:"
                + " deadlines are not trustworthy")), ahead);
        assertEquals(List.of(), only(receive(h1, EPOCH - 3_000, new Heartbeat("h2", 2, EPOCH - 3_000 + 900)),
                RoundsAction.Alert.class), "reported once while it lasts");
        assertEquals(List.of(new RoundsAction.Alert("clock of agent h2 is back within 200 ms")),
                only(receive(h1, EPOCH - 2_000, new Heartbeat("h2", 3, EPOCH - 2_000 - 200)), RoundsAction.Alert.class));
    }

    /** Delivers every broadcast of {@code from}'s actions to {@code to}; returns what {@code to} did. */
    private static List<RoundsAction> deliver(List<RoundsAction> from, RoundsCore to, long now) {
        List<RoundsAction> out = new java.util.ArrayList<>();
        for (RoundsAction.Broadcast b : only(from, RoundsAction.Broadcast.class)) {
            out.addAll(receive(to, now, b.message()));
        }
        return out;
    }

    @Test
    void aOneOffStartsOnlyWithEveryGrantAndGrantersHoldTheirGroupsUntilItsDone() {
        RoundsCore h1 = new RoundsCore(cfg(), "h1");
        RoundsCore h2 = new RoundsCore(cfg(), "h2");
        RoundsCore h3 = new RoundsCore(cfg(), "h3");
        RoundsCore h4 = new RoundsCore(cfg(), "h4");
        long t = EPOCH - 5_000;
        List<RoundsAction> request = h2.step(new RoundsEvent.OneOff(t, "ops", 2));
        assertEquals(List.of(), only(request, StartLocal.class), "no start before every agent granted");
        List<RoundsAction> grants1 = deliver(request, h1, t + 5);
        assertEquals(List.of(), only(deliver(grants1, h2, t + 10), StartLocal.class));
        deliver(deliver(request, h3, t + 5), h2, t + 10);
        List<RoundsAction> started = deliver(deliver(request, h4, t + 5), h2, t + 10);
        assertEquals(List.of(new StartLocal(-1, -1, 2, t + 10 + LOCAL)), only(started, StartLocal.class));

        heartbeats(h1, EPOCH - 1);
        assertEquals(List.of(), only(tick(h1, EPOCH), StartLocal.class),
                "h1 granted: group 0 waits for the one-off's Done, even if its Started was lost");
        List<RoundsAction> done = h2.step(new RoundsEvent.LocalFinished(EPOCH + 200, -1, 2, true, t + 10));
        assertEquals(List.of(new StartLocal(0, 0, 1, EPOCH + 210 + LOCAL)), only(deliver(done, h1, EPOCH + 210), StartLocal.class));
        assertEquals(List.of(), only(deliver(request, h1, EPOCH + 220), RoundsAction.Broadcast.class).stream()
                .filter(b -> b.message() instanceof RoundMessage.OneOffGrant).toList(), "a replayed request of an ended one-off gets no grant");
    }

    @Test
    void twoConcurrentOneOffsBothFailRatherThanOverlap() {
        RoundsCore h1 = new RoundsCore(cfg(), "h1");
        RoundsCore h4 = new RoundsCore(cfg(), "h4");
        long t = EPOCH - 8_000;
        List<RoundsAction> r1 = h1.step(new RoundsEvent.OneOff(t, "ops", 1));
        List<RoundsAction> r4 = h4.step(new RoundsEvent.OneOff(t, "ops", 4));
        assertEquals(List.of(), only(deliver(r4, h1, t + 5), RoundsAction.Broadcast.class), "h1 holds its own grant");
        assertEquals(List.of(), only(deliver(r1, h4, t + 5), RoundsAction.Broadcast.class), "h4 holds its own grant");
        List<RoundsAction> expired = tick(h1, t + SLACK + 1_001);
        assertEquals(List.of(), only(expired, StartLocal.class));
        assertTrue(only(expired, RoundsAction.Alert.class).stream().anyMatch(a -> a.reason().startsWith(
                "one-off rejuvenation of replica 1 not started: no grant from [h2, h3, h4]")), expired.toString());
    }

    @Test
    void aOneOffIsRefusedWhenItCouldPutMoreThanKDown() {
        RoundsCore h2 = new RoundsCore(cfg(), "h2");
        IllegalStateException near = assertThrows(IllegalStateException.class,
                () -> h2.step(new RoundsEvent.OneOff(EPOCH - 1_000, "ops", 2)));
        assertTrue(near.getMessage().contains("the next round starts in 1000 ms"), near.getMessage());

        heartbeats(h2, EPOCH);
        receive(h2, EPOCH + 10, new Started("h1", 0, 1, EPOCH));
        IllegalStateException during = assertThrows(IllegalStateException.class,
                () -> h2.step(new RoundsEvent.OneOff(EPOCH + 20, "ops", 2)));
        assertTrue(during.getMessage().contains("replicas [1] are being rejuvenated"), during.getMessage());
        RoundsCore h3 = new RoundsCore(cfg(), "h3");
        List<RoundsAction> request = h3.step(new RoundsEvent.OneOff(EPOCH - 9_000, "ops", 3));
        receive(h2, EPOCH + 30, new Done("h1", 0, 1, true, EPOCH, EPOCH + 25));
        assertEquals(List.of(), only(deliver(request, h2, EPOCH + 40), RoundsAction.Broadcast.class).stream()
                .filter(b -> b.message() instanceof RoundMessage.OneOffGrant).toList(), "no grant while a round is under way");

        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> h2.step(new RoundsEvent.OneOff(EPOCH + 20, "ops", 3)));
        assertEquals("replica 3 runs on h3: ask its agent", other.getMessage());
    }

    @Test
    void statusShowsPlannedAndActualTimesWithMargins() {
        RoundsCore h1 = booted("h1");
        tick(h1, EPOCH);
        h1.step(new RoundsEvent.LocalFinished(EPOCH + 800, 0, 1, true, EPOCH));
        GroupRecord g0 = h1.status().get(0);
        assertEquals(EPOCH, g0.plannedStartMillis());
        assertEquals(EPOCH + LOCAL, g0.plannedEndMillis());
        assertEquals(EPOCH, g0.actualStartMillis());
        assertEquals(EPOCH + 800, g0.actualEndMillis());
        assertEquals(200, g0.slotMarginMillis());
        assertEquals(TD - 800, g0.deadlineMarginMillis());
    }

    @Test
    void aFreshCoreListensBeforeItStartsAnything() {
        RoundsCore h1 = new RoundsCore(cfg(), "h1");
        assertEquals(List.of(), only(tick(h1, EPOCH), StartLocal.class), "just started: it may not know what is down");
        assertEquals(List.of(new StartLocal(0, 0, 1, EPOCH + RoundsCore.learnMillis(cfg()) + LOCAL)),
                only(tick(h1, EPOCH + RoundsCore.learnMillis(cfg())), StartLocal.class));
    }

    @Test
    void aRestartedAgentRedoesItsInterruptedRejuvenationAndNotAFinishedOne() {
        RoundsCore before = booted("h2");
        heartbeats(before, EPOCH);
        List<RoundsAction> started = receive(before, EPOCH + LOCAL, new Done("h1", 0, 1, true, EPOCH, EPOCH + 900));
        Started interrupted = (Started) only(started, RoundsAction.Broadcast.class).stream()
                .map(RoundsAction.Broadcast::message).filter(Started.class::isInstance).findFirst().orElseThrow();
        // The agent dies here; the others go on repeating its Started. Its new core relearns it.
        RoundsCore after = new RoundsCore(cfg(), "h2");
        tick(after, EPOCH + 5_000);
        receive(after, EPOCH + 5_100, new Done("h1", 0, 1, true, EPOCH, EPOCH + 900));
        receive(after, EPOCH + 5_100, interrupted);
        List<StartLocal> redo = only(tick(after, EPOCH + 5_000 + RoundsCore.learnMillis(cfg())), StartLocal.class);
        assertEquals(1, redo.size(), "the interrupted rejuvenation of replica 2 is run again");
        assertEquals(2, redo.get(0).replicaId());

        RoundsCore finished = new RoundsCore(cfg(), "h2");
        tick(finished, EPOCH + 5_000);
        receive(finished, EPOCH + 5_100, new Done("h1", 0, 1, true, EPOCH, EPOCH + 900));
        receive(finished, EPOCH + 5_100, interrupted);
        receive(finished, EPOCH + 5_100, new Done("h2", 0, 2, true, EPOCH + 900, EPOCH + 1_700));
        assertEquals(List.of(), only(tick(finished, EPOCH + 9_000), StartLocal.class), "replica 2 was done already");
    }

    @Test
    void aRestartedAgentDoesNotJudgeRoundsThatBeganBeforeItListened() {
        RoundsCore late = new RoundsCore(cfg(), "h3");
        List<FailSafe> fired = new java.util.ArrayList<>();
        for (long t = EPOCH + TP + 1_000; t < EPOCH + TP + TD - 100; t += 500) {
            heartbeats(late, t);
            fired.addAll(only(tick(late, t), FailSafe.class));
        }
        assertTrue(fired.stream().noneMatch(f -> f.round() == 0), "round 0 ended before this agent listened: " + fired);
    }

    @Test
    void aFinishForAReplicaThatWasNotStartedIsABug() {
        RoundsCore h1 = new RoundsCore(cfg(), "h1");
        assertThrows(IllegalStateException.class, () -> h1.step(new RoundsEvent.LocalFinished(EPOCH, 0, 1, true, EPOCH)));
    }
}
