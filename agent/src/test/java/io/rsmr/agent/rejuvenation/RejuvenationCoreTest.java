package io.rsmr.agent.rejuvenation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.rejuvenation.RejuvenationAction.CancelStep;
import io.rsmr.agent.rejuvenation.RejuvenationAction.FireFailSafe;
import io.rsmr.agent.rejuvenation.RejuvenationAction.Finish;
import io.rsmr.agent.rejuvenation.RejuvenationAction.RunStep;
import io.rsmr.agent.rejuvenation.RejuvenationEvent.Start;
import io.rsmr.agent.rejuvenation.RejuvenationEvent.StepDone;
import io.rsmr.agent.rejuvenation.RejuvenationEvent.StepFailed;
import io.rsmr.agent.rejuvenation.RejuvenationEvent.Tick;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Algorithm 1's sequencing and deadlines, driven by script: time is just a number here. */
class RejuvenationCoreTest {
    private static final long MS = 1_000_000;

    /** Bounds 100 ms, 200 ms, ... 700 ms in step order; T_localexec is their sum, 2800 ms. */
    private static Map<Step, Long> bounds() {
        Map<Step, Long> b = new EnumMap<>(Step.class);
        for (Step s : Step.values()) {
            b.put(s, (s.ordinal() + 1) * 100 * MS);
        }
        return b;
    }

    private static RejuvenationCore core() {
        return new RejuvenationCore(bounds(), 2800 * MS);
    }

    @Test
    void theSevenStepsRunInTheOrderOfAlgorithm1AndTheReportHasEveryMargin() {
        RejuvenationCore c = core();
        assertEquals(List.of(new RunStep(Step.SHUTDOWN)), c.step(new Start(1000 * MS)));
        long now = 1000 * MS;
        List<RejuvenationAction> last = List.of();
        for (Step s : Step.values()) {
            assertEquals(s, c.current());
            now += 50 * MS; // every step takes 50 ms
            last = c.step(new StepDone(s, now));
            if (s.next() != null) {
                assertEquals(List.of(new RunStep(s.next())), last);
            }
        }
        RejuvenationReport r = ((Finish) last.get(0)).report();
        assertTrue(r.succeeded());
        assertEquals(7 * 50 * MS, r.totalNanos());
        assertEquals(2800 * MS - 350 * MS, r.marginNanos());
        assertEquals(Step.values().length, r.steps().size());
        assertEquals(700 * MS - 50 * MS, r.steps().get(6).marginNanos(), "transfer: bound 700 ms, took 50 ms");
        assertTrue(c.finished());
    }

    @Test
    void aStepPastItsBoundFiresTheFailSafeCancelsTheStepAndEndsTheRun() {
        RejuvenationCore c = core();
        c.step(new Start(0));
        c.step(new StepDone(Step.SHUTDOWN, 10 * MS));
        assertEquals(10 * MS + 200 * MS, c.nextDeadlineNanos().getAsLong(), "check-os-code's bound from its start");
        assertEquals(List.of(), c.step(new Tick(209 * MS)), "one nanosecond... well, a millisecond early");
        List<RejuvenationAction> out = c.step(new Tick(210 * MS));
        assertEquals(new CancelStep(Step.CHECK_OS_CODE), out.get(0));
        FireFailSafe f = (FireFailSafe) out.get(1);
        assertEquals(FailSafeCause.STEP_OVERRUN, f.cause());
        assertEquals(Step.CHECK_OS_CODE, f.step());
        RejuvenationReport r = ((Finish) out.get(2)).report();
        assertFalse(r.succeeded());
        assertEquals(RejuvenationReport.Outcome.OVERRUN, r.steps().get(1).outcome());
        assertEquals(List.of(), c.step(new StepDone(Step.CHECK_OS_CODE, 211 * MS)), "the late result is ignored");
        assertTrue(c.nextDeadlineNanos().isEmpty());
    }

    @Test
    void aResultArrivingAtTheDeadlineIsLate() {
        RejuvenationCore c = core();
        c.step(new Start(0));
        List<RejuvenationAction> out = c.step(new StepDone(Step.SHUTDOWN, 100 * MS));
        assertEquals(FailSafeCause.STEP_OVERRUN, ((FireFailSafe) out.get(1)).cause());
    }

    @Test
    void aBadManifestSignatureStopsBeforeAnythingIsBooted() {
        RejuvenationCore c = core();
        c.step(new Start(0));
        c.step(new StepDone(Step.SHUTDOWN, 10 * MS));
        List<RejuvenationAction> out = c.step(new StepFailed(Step.CHECK_OS_CODE, 20 * MS,
                FailSafeCause.BAD_MANIFEST_SIGNATURE, "manifest.json: invalid signature"));
        assertEquals(2, out.size());
        assertEquals(FailSafeCause.BAD_MANIFEST_SIGNATURE, ((FireFailSafe) out.get(0)).cause());
        RejuvenationReport r = ((Finish) out.get(1)).report();
        assertEquals(Step.CHECK_OS_CODE, r.failed());
        assertTrue(out.stream().noneMatch(a -> a instanceof RunStep), "no further step, no boot");
    }

    @Test
    void theWholeRunIsBoundedByTLocalExecEvenWhenEachStepIsWithinItsBound() {
        RejuvenationCore c = new RejuvenationCore(bounds(), 250 * MS);
        c.step(new Start(0));
        c.step(new StepDone(Step.SHUTDOWN, 90 * MS));
        assertEquals(250 * MS, c.nextDeadlineNanos().getAsLong(), "T_localexec comes before check-os-code's bound");
        c.step(new StepDone(Step.CHECK_OS_CODE, 240 * MS));
        List<RejuvenationAction> out = c.step(new Tick(250 * MS));
        assertEquals(FailSafeCause.LOCALEXEC_OVERRUN, ((FireFailSafe) out.get(1)).cause());
        assertEquals(250 * MS, ((Finish) out.get(2)).report().totalNanos());
    }

    @Test
    void misuseIsRefused() {
        RejuvenationCore c = core();
        assertThrows(IllegalStateException.class, () -> c.step(new Tick(0)));
        c.step(new Start(0));
        assertThrows(IllegalStateException.class, () -> c.step(new Start(1)));
        assertThrows(IllegalStateException.class, () -> c.step(new StepDone(Step.BOOT, 1)));
        Map<Step, Long> missing = bounds();
        missing.remove(Step.BOOT);
        assertThrows(IllegalArgumentException.class, () -> new RejuvenationCore(missing, 1));
    }
}
