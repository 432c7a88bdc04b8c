#!/bin/bash
# Writes bench/agent-rejuvenation.md: the T_localexec breakdown of real rejuvenations of vm-images'
# guest on this machine, each step beside its physical limit measured in the same run (SHA-256 vs raw
# read, cold and warm; qemu-img create), and the `rsmr plan` those figures imply for 6 replicas.
# Root only: it drops the page cache for the cold figures. ~3 min here.
# --digest: only the SHA-256 vs raw read part (DigestBench: no guest, no libvirt; ~1 min); prints a
# section for bench/agent-rejuvenation.md and writes it to agent/target/digest-bench.md.
set -euo pipefail
readonly REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "agent-bench: must run as root" >&2; exit 1; }
cd "$REPO"
if [ "${1:-}" = "--digest" ]; then
  [ -f vm-images/out/root.img ] || { echo "agent-bench: vm-images/out/root.img missing: build the image first" >&2; exit 1; }
  exec timeout 600 mvn -B -ntp -pl agent -am -Pbench -Dsurefire.failIfNoSpecifiedTests=false \
    -Dtest='io.rsmr.agent.bench.DigestBench' verify
fi
"$REPO/scripts/libvirt-up.sh"
"$REPO/scripts/net-up.sh" rsmr-pay0 198.18.0.1/24
timeout 900 mvn -B -ntp -pl agent -am -Pbench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='io.rsmr.agent.bench.RejuvenationBench' verify
