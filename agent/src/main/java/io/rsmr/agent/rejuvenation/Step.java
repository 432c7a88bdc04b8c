package io.rsmr.agent.rejuvenation;

import io.rsmr.common.config.Timing;
import java.time.Duration;

/**
 * The seven operations of Algorithm 1 (section 3.2), in order, each with its configured bound.
 * Their bounds add up to T_localexec = T_shutdown + 2·T_checkcode + 2·T_restorecode + T_boot + T_transfer.
 * The OS code is the kernel and initramfs; the SM code is the root image (runtime and replica).
 */
public enum Step {
    /** Hard power-off of the domain, confirmed off. */
    SHUTDOWN,
    /** Check the manifest's signature, then the digests of the kernel and initramfs. */
    CHECK_OS_CODE,
    /** Restore a corrupt kernel or initramfs from the read-only copy. */
    RESTORE_OS_CODE,
    /** Check the digest of the golden root image. */
    CHECK_SM_CODE,
    /** Restore a corrupt root image; always recreate the root overlay; write the new epoch's config disk. */
    RESTORE_SM_CODE,
    /** Start the domain; done at the guest's first line on the virtio-serial channel. */
    BOOT,
    /** Wait until the replica says on the channel that its state is recovered. */
    TRANSFER;

    public Duration bound(Timing t) {
        return switch (this) {
            case SHUTDOWN -> t.shutdown();
            case CHECK_OS_CODE, CHECK_SM_CODE -> t.checkCode();
            case RESTORE_OS_CODE, RESTORE_SM_CODE -> t.restoreCode();
            case BOOT -> t.boot();
            case TRANSFER -> t.transfer();
        };
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The next step, or null after the last. */
    public Step next() {
        return ordinal() + 1 < values().length ? values()[ordinal() + 1] : null;
    }
}
