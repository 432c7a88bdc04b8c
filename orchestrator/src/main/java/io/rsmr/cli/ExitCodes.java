package io.rsmr.cli;

/** What {@code rsmr} exits with; scripts and the agents' SSH interface rely on these. */
public final class ExitCodes {
    /** The command did what was asked (for {@code plan}: the plan is feasible). */
    public static final int OK = 0;
    /** The operation failed or its answer is "no" (for {@code plan}: infeasible). */
    public static final int FAILED = 1;
    /** Bad usage or a bad config file: nothing was done. */
    public static final int USAGE = 2;

    private ExitCodes() {
    }
}
