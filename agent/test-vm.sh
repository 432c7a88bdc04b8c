#!/bin/bash
# The agent's VM tests (issue 6) on real libvirt and QEMU (TCG here), run by scripts/test.sh in CI:
# Algorithm 1 end to end on vm-images' guest running the real replica, whose two peers run on this
# host (the image's own replica jar, at 198.18.0.2 and .3 on the payload bridge) under a client
# load: recovery of the peers' certified state, a corrupted data disk, overlay reset, golden
# restore, bad manifest signature, a guest that never recovers, the agent killed mid-rejuvenation,
# a libvirtd restart (it stops the libvirtd of scripts/libvirt-up.sh by its pid file and starts it
# again with that script); then three agents' rounds (RoundsVmTest).
# Needs root and the built image (vm-images/build.sh; built here when missing). Starts libvirt and
# the payload bridge with the project's idempotent scripts. Bounded: ~7 min here (RejuvenationVmTest ~3 min,
# RoundsVmTest ~3.5 min), 10 min at most.
# Destroys only the domains its tests name (rsmr-agentvm-<pid>-r<i>), stops only the processes it
# started, and removes only its own folders.
set -euo pipefail

readonly HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly REPO=$(dirname "$HERE")
readonly TIME_LIMIT_SECONDS=600

log() { echo "agent-test-vm: $*" >&2; }

[ "$(id -u)" -eq 0 ] || { log "must run as root (libvirt qemu:///system)"; exit 1; }
"$REPO/scripts/libvirt-up.sh"
"$REPO/scripts/net-up.sh" rsmr-pay0 198.18.0.1/24
for f in vmlinuz initramfs.img root.img manifest.json; do
  if [ ! -f "$REPO/vm-images/out/$f" ]; then
    log "vm-images/out/$f is missing: building the image"
    "$REPO/vm-images/build.sh"
    break
  fi
done
# The host peers run the image's replica jar, the test's client is built from this tree: a stale
# image (built from another replica jar) may not speak the same protocol. CI builds both from one commit.
if [ -f "$REPO/replica-app/target/rsmr-replica.jar" ] && command -v unsquashfs >/dev/null \
  && ! unsquashfs -cat "$REPO/vm-images/out/root.img" opt/rsmr/rsmr-replica.jar 2>/dev/null \
    | cmp -s - "$REPO/replica-app/target/rsmr-replica.jar"; then
  log "warning: vm-images/out carries another replica jar than replica-app/target; rebuild it (vm-images/build.sh) if the tests fail"
fi
cd "$REPO"
# -Pvm runs only the tests tagged "vm"; a missing prerequisite fails them, it never skips them.
timeout "$TIME_LIMIT_SECONDS" mvn -B -ntp -pl agent -am -Pvm -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='io.rsmr.agent.vm.*Test' verify
