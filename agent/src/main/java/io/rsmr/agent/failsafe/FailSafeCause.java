package io.rsmr.agent.failsafe;

/** Why the fail-safe actions S fired (section 3.2: the rejuvenation was not correct and timely). */
public enum FailSafeCause {
    /** A step of Algorithm 1 passed its bound. */
    STEP_OVERRUN,
    /** The whole of Algorithm 1 passed T_localexec. */
    LOCALEXEC_OVERRUN,
    /** The manifest's signature does not verify with the operator's key: no code is trusted. */
    BAD_MANIFEST_SIGNATURE,
    /** A golden file is corrupt and its read-only copy is missing or corrupt too. */
    GOLDEN_UNRESTORABLE,
    /** libvirt could not be reached. */
    HYPERVISOR_UNREACHABLE,
    /** Any other failure of a step: the replica is not back on clean code (guest error, qemu-img failed...). */
    STEP_FAILED,
    /**
     * A global deadline of the rounds was missed (a round not done within T_d, or not started in time),
     * or a silent agent's replica can no longer be rejuvenated within T_d.
     */
    ROUND_DEADLINE;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
