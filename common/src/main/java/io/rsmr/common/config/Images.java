package io.rsmr.common.config;

import java.nio.file.Path;

/**
 * The golden code of a replica VM on each host (paths are resolved against the config file's folder).
 *
 * @param kernel       golden kernel, booted directly by libvirt
 * @param initramfs    golden initramfs
 * @param root         golden read-only root file system image (OS code + SM code)
 * @param manifest     manifest of their SHA-256 digests
 * @param signature    the operator's Ed25519 signature of the manifest
 * @param readOnlyCopy folder of read-only copies that a corrupt golden file is restored from
 */
public record Images(Path kernel, Path initramfs, Path root, Path manifest, Path signature, Path readOnlyCopy) {
}
