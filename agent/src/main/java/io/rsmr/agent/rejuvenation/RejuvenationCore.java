package io.rsmr.agent.rejuvenation;

import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.rejuvenation.RejuvenationAction.CancelStep;
import io.rsmr.agent.rejuvenation.RejuvenationAction.FireFailSafe;
import io.rsmr.agent.rejuvenation.RejuvenationAction.Finish;
import io.rsmr.agent.rejuvenation.RejuvenationAction.RunStep;
import io.rsmr.agent.rejuvenation.RejuvenationReport.Outcome;
import io.rsmr.agent.rejuvenation.RejuvenationReport.StepTiming;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The sequencing and deadlines of one run of Algorithm 1, pure: events with the time in, actions
 * out; no clock, thread or I/O. Steps run one after the other, each from the instant the previous
 * one ended, so the run's duration is the sum of its steps'. A step that fails or passes its bound,
 * or a run that passes T_localexec, fires the fail-safe and ends the run: the replica was not
 * rejuvenated correctly and in time, and nothing after that step is done.
 */
public final class RejuvenationCore {
    private final Map<Step, Long> boundNanos;
    private final long localExecNanos;
    private final List<StepTiming> timings = new ArrayList<>();
    private long startNanos;
    private long stepStartNanos;
    private Step current;
    private boolean started;
    private boolean finished;

    /** @param boundNanos the bound of every step; T_localexec is the whole run's bound */
    public RejuvenationCore(Map<Step, Long> boundNanos, long localExecNanos) {
        this.boundNanos = new EnumMap<>(boundNanos);
        if (this.boundNanos.size() != Step.values().length || this.boundNanos.values().stream().anyMatch(b -> b <= 0)
                || localExecNanos <= 0) {
            throw new IllegalArgumentException("every step needs a positive bound, and T_localexec too: " + boundNanos);
        }
        this.localExecNanos = localExecNanos;
    }

    /** The timings of the steps that ended so far, in order. */
    public List<StepTiming> timings() {
        return List.copyOf(timings);
    }

    public boolean finished() {
        return finished;
    }

    /** The step running now (null before the start and after the end). */
    public Step current() {
        return finished ? null : current;
    }

    /** When the shell must send a {@link RejuvenationEvent.Tick} at the latest: the nearer deadline. */
    public OptionalLong nextDeadlineNanos() {
        if (!started || finished) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Math.min(stepStartNanos + boundNanos.get(current), startNanos + localExecNanos));
    }

    public List<RejuvenationAction> step(RejuvenationEvent event) {
        List<RejuvenationAction> out = new ArrayList<>();
        if (finished) {
            return out; // a late result of a cancelled step
        }
        if (event instanceof RejuvenationEvent.Start s) {
            start(s.nowNanos(), out);
        } else if (!started) {
            throw new IllegalStateException("event before Start: " + event);
        } else if (overran(event.nowNanos(), out)) {
            return out;
        } else if (event instanceof RejuvenationEvent.StepDone d) {
            stepDone(d, out);
        } else if (event instanceof RejuvenationEvent.StepFailed f) {
            stepFailed(f, out);
        }
        return out;
    }

    private void start(long now, List<RejuvenationAction> out) {
        if (started) {
            throw new IllegalStateException("started twice");
        }
        started = true;
        startNanos = now;
        begin(Step.SHUTDOWN, now, out);
    }

    private void begin(Step step, long now, List<RejuvenationAction> out) {
        current = step;
        stepStartNanos = now;
        out.add(new RunStep(step));
    }

    /** Checks both deadlines at {@code now}; on an overrun, ends the run. A result at the deadline is late. */
    private boolean overran(long now, List<RejuvenationAction> out) {
        long stepDeadline = stepStartNanos + boundNanos.get(current);
        long runDeadline = startNanos + localExecNanos;
        if (now < stepDeadline && now < runDeadline) {
            return false;
        }
        long duration = now - stepStartNanos;
        timings.add(new StepTiming(current, Outcome.OVERRUN, duration, boundNanos.get(current)));
        out.add(new CancelStep(current));
        if (now >= stepDeadline) {
            end(FailSafeCause.STEP_OVERRUN, current + " still running after its bound of "
                    + millis(boundNanos.get(current)), now, out);
        } else {
            end(FailSafeCause.LOCALEXEC_OVERRUN, "T_localexec of " + millis(localExecNanos) + " passed during "
                    + current, now, out);
        }
        return true;
    }

    private void stepDone(RejuvenationEvent.StepDone d, List<RejuvenationAction> out) {
        requireCurrent(d.step());
        timings.add(new StepTiming(current, Outcome.DONE, d.nowNanos() - stepStartNanos, boundNanos.get(current)));
        Step next = current.next();
        if (next == null) {
            finished = true;
            out.add(new Finish(report(true, null, null, "ok", d.nowNanos())));
        } else {
            begin(next, d.nowNanos(), out);
        }
    }

    private void stepFailed(RejuvenationEvent.StepFailed f, List<RejuvenationAction> out) {
        requireCurrent(f.step());
        timings.add(new StepTiming(current, Outcome.FAILED, f.nowNanos() - stepStartNanos, boundNanos.get(current)));
        end(f.cause(), f.detail(), f.nowNanos(), out);
    }

    private void end(FailSafeCause cause, String detail, long now, List<RejuvenationAction> out) {
        finished = true;
        out.add(new FireFailSafe(cause, current, detail));
        out.add(new Finish(report(false, cause, current, detail, now)));
    }

    private RejuvenationReport report(boolean ok, FailSafeCause cause, Step failed, String detail, long now) {
        // Steps are back to back: the run's duration is exactly the sum of its steps'.
        assert timings.stream().mapToLong(StepTiming::durationNanos).sum() == now - startNanos : timings;
        return new RejuvenationReport(ok, cause, failed, detail, timings, now - startNanos, localExecNanos);
    }

    private void requireCurrent(Step step) {
        if (step != current) {
            throw new IllegalStateException("result of " + step + " while " + current + " runs");
        }
    }

    private static String millis(long nanos) {
        return nanos / 1_000_000 + " ms";
    }
}
