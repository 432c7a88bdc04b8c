package io.rsmr.agent.rejuvenation;

import io.rsmr.agent.failsafe.FailSafeCause;

/** What the shell tells the {@link RejuvenationCore}; {@code nowNanos} is the shell's monotonic clock. */
public sealed interface RejuvenationEvent {
    long nowNanos();

    /** Begin Algorithm 1. */
    record Start(long nowNanos) implements RejuvenationEvent {
    }

    /** The step the core asked for finished well. */
    record StepDone(Step step, long nowNanos) implements RejuvenationEvent {
    }

    /** The step failed; the cause says which fail-safe reason it is. */
    record StepFailed(Step step, long nowNanos, FailSafeCause cause, String detail) implements RejuvenationEvent {
    }

    /** Time passed (the shell sends one at {@link RejuvenationCore#nextDeadlineNanos()} at the latest). */
    record Tick(long nowNanos) implements RejuvenationEvent {
    }
}
