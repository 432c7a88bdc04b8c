package io.rsmr.agent.rejuvenation;

import io.rsmr.agent.failsafe.FailSafeCause;
import java.util.List;

/**
 * The result of one run of Algorithm 1: every step's duration against its bound, and the whole
 * against T_localexec. Margins are bound minus duration (negative: overrun).
 *
 * @param cause  why it failed (null when it succeeded)
 * @param failed the step that failed or overran (null when it succeeded)
 */
public record RejuvenationReport(boolean succeeded, FailSafeCause cause, Step failed, String detail,
                                 List<StepTiming> steps, long totalNanos, long localExecNanos) {
    public RejuvenationReport {
        steps = List.copyOf(steps);
    }

    public long marginNanos() {
        return localExecNanos - totalNanos;
    }

    /** How one step went. */
    public enum Outcome { DONE, FAILED, OVERRUN }

    public record StepTiming(Step step, Outcome outcome, long durationNanos, long boundNanos) {
        public long marginNanos() {
            return boundNanos - durationNanos;
        }
    }
}
