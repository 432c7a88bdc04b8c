package io.rsmr.agent.rejuvenation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.agent.Events;
import io.rsmr.agent.JsonLog;
import io.rsmr.agent.failsafe.FailSafe;
import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.failsafe.FailSafeState;
import io.rsmr.agent.journal.Journal;
import io.rsmr.agent.journal.JournalVerifier;
import io.rsmr.agent.libvirt.DomainState;
import io.rsmr.agent.libvirt.FakeHypervisor;
import io.rsmr.agent.metrics.Metrics;
import io.rsmr.common.config.FailSafeAction;
import io.rsmr.common.config.Timing;
import io.rsmr.common.crypto.Ed25519Keys;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shell around the core, with scripted step I/O, a fake hypervisor and the real journal. */
class RejuvenatorTest {
    private static final Duration BOUND = Duration.ofMillis(300);

    @TempDir
    Path dir;
    private final Ed25519Keys.SigningKey key = Ed25519Keys.generate(new SecureRandom());
    private final List<Map<String, Object>> alerts = Collections.synchronizedList(new ArrayList<>());
    private final FakeHypervisor hypervisor = new FakeHypervisor().running("rsmr-r1", "rsmr-r2", "other-host-vm");
    private final Metrics metrics = new Metrics();
    private Events events;

    @BeforeEach
    void setUp() {
        events = new Events(new Journal(dir.resolve("journal.jsonl"), key, Clock.systemUTC()),
                new JsonLog(new PrintStream(new ByteArrayOutputStream()), Clock.systemUTC()));
    }

    private Rejuvenator rejuvenator(List<FailSafeAction> actions) {
        FailSafe failSafe = new FailSafe(actions, alerts::add, hypervisor, List.of("rsmr-r1", "rsmr-r2"),
                new FailSafeState(dir), events, metrics::failSafe);
        Timing t = new Timing(Instant.EPOCH, Duration.ofHours(1), Duration.ofMinutes(30), BOUND, BOUND, BOUND, BOUND,
                BOUND, new TreeMap<>());
        return new Rejuvenator(t, System::nanoTime, Clock.systemUTC(), failSafe, events, metrics);
    }

    /** Records the steps it runs; fails or hangs at the step it is told to. */
    private static final class ScriptedSteps implements StepRunner {
        final List<Step> ran = Collections.synchronizedList(new ArrayList<>());
        final Step hangAt;
        final Step failAt;
        final FailSafeCause failCause;
        final CountDownLatch interrupted = new CountDownLatch(1);
        boolean closed;

        ScriptedSteps(Step hangAt, Step failAt, FailSafeCause failCause) {
            this.hangAt = hangAt;
            this.failAt = failAt;
            this.failCause = failCause;
        }

        @Override
        public void run(Step step) throws StepFailure, InterruptedException {
            ran.add(step);
            if (step == failAt) {
                throw new StepFailure(failCause, "scripted failure of " + step);
            }
            if (step == hangAt) {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw e;
                }
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private List<String> journalTypes() throws Exception {
        return events.journal().bodies().stream().map(b -> (String) b.get("type")).toList();
    }

    @Test
    void aGoodRunJournalsEveryStepAndItsTimingAndReportsSuccess() throws Exception {
        ScriptedSteps steps = new ScriptedSteps(null, null, null);
        RejuvenationReport r = rejuvenator(List.of(FailSafeAction.ALERT)).run(1, 7, steps);
        assertTrue(r.succeeded(), r.toString());
        assertEquals(List.of(Step.values()), steps.ran);
        assertTrue(steps.closed);
        List<String> types = journalTypes();
        assertEquals("rejuvenation-started", types.get(0));
        assertEquals("rejuvenation-finished", types.get(types.size() - 1));
        assertEquals(7, Collections.frequency(types, "step-started"));
        assertEquals(7, Collections.frequency(types, "step-ended"));
        assertTrue(JournalVerifier.verify(events.journal().file(), key.publicKey()).ok());
        assertTrue(metrics.render().contains("rsmr_agent_last_rejuvenation_success{replica=\"1\"} 1"), metrics.render());
        assertTrue(alerts.isEmpty());
    }

    @Test
    void aStepThatNeverEndsIsCancelledAndFiresTheFailSafe() throws Exception {
        ScriptedSteps steps = new ScriptedSteps(Step.TRANSFER, null, null);
        RejuvenationReport r = rejuvenator(List.of(FailSafeAction.ALERT)).run(1, 7, steps);
        assertFalse(r.succeeded());
        assertEquals(FailSafeCause.STEP_OVERRUN, r.cause());
        assertEquals(Step.TRANSFER, r.failed());
        steps.interrupted.await();
        assertEquals(1, alerts.size());
        assertEquals("step-overrun", alerts.get(0).get("cause"));
        assertEquals("transfer", alerts.get(0).get("step"));
        assertTrue(journalTypes().contains("failsafe-fired"));
        assertTrue(metrics.render().contains("rsmr_agent_failsafe_total{cause=\"step-overrun\"} 1"));
    }

    @Test
    void aBadSignatureStopsBeforeBootAndTheShutdownActionHoldsOnlyOwnVmsOff() throws Exception {
        ScriptedSteps steps = new ScriptedSteps(null, Step.CHECK_OS_CODE, FailSafeCause.BAD_MANIFEST_SIGNATURE);
        RejuvenationReport r = rejuvenator(List.of(FailSafeAction.ALERT, FailSafeAction.SHUTDOWN, FailSafeAction.HALT_ROUNDS))
                .run(1, 7, steps);
        assertEquals(FailSafeCause.BAD_MANIFEST_SIGNATURE, r.cause());
        assertEquals(List.of(Step.SHUTDOWN, Step.CHECK_OS_CODE), steps.ran, "nothing after the failed check");
        assertEquals(DomainState.ABSENT, hypervisor.state("rsmr-r2"), "this host's other replica is held off too");
        assertEquals(DomainState.ACTIVE, hypervisor.state("other-host-vm"), "never another host's VM");
        FailSafeState state = new FailSafeState(dir);
        assertTrue(state.shutdown() && state.roundsHalted(), "persisted for restarts");
        assertTrue(state.shutdownReason().contains("bad-manifest-signature"));
    }
}
