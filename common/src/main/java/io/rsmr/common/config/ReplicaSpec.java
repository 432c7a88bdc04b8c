package io.rsmr.common.config;

/**
 * One replica of the cluster and where it runs.
 *
 * @param id                replica id, 1..n; the list order is the rejuvenation order
 * @param host              name of the hypervisor host whose agent rejuvenates it
 * @param managementAddress the agent's address on the isolated management LAN
 * @param payloadAddress    the replica's address on the payload network, where clients and peers reach it
 * @param libvirtUri        how the agent reaches libvirt on that host, e.g. {@code qemu:///system}
 * @param domain            the libvirt domain name of the replica VM
 * @param domainType        {@code kvm} or {@code qemu}
 */
public record ReplicaSpec(int id, String host, HostPort managementAddress, HostPort payloadAddress,
                          String libvirtUri, String domain, DomainType domainType) {
}
