package io.rsmr.agent.rejuvenation;

import io.rsmr.agent.failsafe.FailSafeCause;

/** What the {@link RejuvenationCore} asks the shell to do, in order. */
public sealed interface RejuvenationAction {
    /** Run this step now. */
    record RunStep(Step step) implements RejuvenationAction {
    }

    /** Abandon this running step (it passed a deadline); its late result is ignored. */
    record CancelStep(Step step) implements RejuvenationAction {
    }

    /** Fire the fail-safe actions S. */
    record FireFailSafe(FailSafeCause cause, Step step, String detail) implements RejuvenationAction {
    }

    /** Algorithm 1 is over: this is its result. */
    record Finish(RejuvenationReport report) implements RejuvenationAction {
    }
}
