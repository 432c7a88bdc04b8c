package io.rsmr.agent.libvirt;

/**
 * What the agent needs from the hypervisor: power a replica VM off hard, start it from a full
 * definition, and tell whether it runs. Production: {@link LibvirtHypervisor}; tests also use a fake.
 * Every method throws {@link HypervisorException}; its {@code unreachable()} says that the
 * hypervisor itself could not be reached (a fail-safe cause), not that the request was refused.
 */
public interface Hypervisor extends AutoCloseable {
    /** The state of a domain; {@link DomainState#ABSENT} when no domain has that name. */
    DomainState state(String domain) throws HypervisorException;

    /** Hard power-off (never asks the guest); a domain that is not running is left as it is. */
    void destroy(String domain) throws HypervisorException;

    /** Starts a transient domain from its full XML definition (it vanishes when destroyed). */
    void create(String domainXml) throws HypervisorException;

    @Override
    void close();
}
