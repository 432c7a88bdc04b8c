package io.rsmr.common.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The libvirt domain type: {@code kvm} on real hosts, {@code qemu} (TCG emulation) where KVM is unusable. */
public enum DomainType {
    @JsonProperty("kvm") KVM,
    @JsonProperty("qemu") QEMU;

    public String libvirtName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
