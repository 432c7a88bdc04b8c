#!/bin/bash
# The agent's VM tests (issue 6) on real libvirt and QEMU (TCG here), run by scripts/test.sh in CI:
# Algorithm 1 end to end on vm-images' guest — overlay reset, golden restore, bad manifest
# signature, a guest that never reports recovery, the agent killed mid-rejuvenation.
# Needs root and the built image (vm-images/build.sh; built here when missing). Starts libvirt and
# the payload bridge with the project's idempotent scripts. Bounded: ~2 min here, 10 min at most.
# Destroys only the domain its tests name (rsmr-agentvm-<pid>-r1) and removes only its own folder.
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
cd "$REPO"
# -Pvm runs only the tests tagged "vm"; a missing prerequisite fails them, it never skips them.
timeout "$TIME_LIMIT_SECONDS" mvn -B -ntp -pl agent -am -Pvm -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='io.rsmr.agent.vm.*Test' verify
