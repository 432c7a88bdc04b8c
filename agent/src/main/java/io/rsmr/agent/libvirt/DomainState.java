package io.rsmr.agent.libvirt;

/** What the agent distinguishes of a domain's state. */
public enum DomainState {
    /** No domain of that name (a destroyed transient domain). */
    ABSENT,
    /** Defined but not running. */
    OFF,
    /** Running, paused, or on its way up or down: anything that holds the VM's disks. */
    ACTIVE;

    public boolean isOff() {
        return this != ACTIVE;
    }
}
