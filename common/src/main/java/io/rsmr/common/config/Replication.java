package io.rsmr.common.config;

/**
 * How the replicas treat each other, beyond the protocol's fixed rules. The section is optional.
 *
 * @param stateTransferMiBPerSecond the most chunk bytes one replica sends to recovering peers per
 *        second, all together: what a recovering replica may cost the others (null: the default)
 */
public record Replication(Integer stateTransferMiBPerSecond) {
    /** 100 MiB/s: a 1 GiB state in about ten seconds from each serving peer. */
    public static final int STATE_TRANSFER_MIB_PER_SECOND_DEFAULT = 100;
    public static final int STATE_TRANSFER_MIB_PER_SECOND_MAX = 100_000;

    public static final Replication DEFAULTS = new Replication(null);

    public int stateTransferMiBPerSecondOrDefault() {
        return stateTransferMiBPerSecond == null ? STATE_TRANSFER_MIB_PER_SECOND_DEFAULT : stateTransferMiBPerSecond;
    }
}
