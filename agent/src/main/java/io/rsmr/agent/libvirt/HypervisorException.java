package io.rsmr.agent.libvirt;

/** A hypervisor request failed; {@link #unreachable()} when the hypervisor could not be reached at all. */
public final class HypervisorException extends Exception {
    private final boolean unreachable;

    public HypervisorException(String message, boolean unreachable, Throwable cause) {
        super(message, cause);
        this.unreachable = unreachable;
    }

    public boolean unreachable() {
        return unreachable;
    }
}
