package io.rsmr.agent.rejuvenation;

import io.rsmr.agent.failsafe.FailSafeCause;

/** A step of Algorithm 1 could not be done; the cause is what the fail-safe event says. */
public final class StepFailure extends Exception {
    private final FailSafeCause cause;

    public StepFailure(FailSafeCause cause, String message) {
        super(message);
        this.cause = cause;
    }

    public StepFailure(FailSafeCause cause, String message, Throwable reason) {
        super(message, reason);
        this.cause = cause;
    }

    public FailSafeCause failSafeCause() {
        return cause;
    }
}
