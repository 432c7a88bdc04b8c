#!/bin/bash
# The test command of the README, run as-is by .ci/run: every unit, simulation and multi-process
# test (mvn -B verify), then the VM tests on real libvirt and QEMU (vm-images/test.sh).
# Installs what it needs. RSMR_SKIP_VM_TESTS=1 runs only the Maven part (for a machine without
# root); CI never sets it.
set -euo pipefail

readonly REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

section() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

section "build dependencies"
scripts/install-build-deps.sh

section "mvn -B verify"
mvn -B -ntp verify

if [ -n "${RSMR_SKIP_VM_TESTS:-}" ]; then
  section "VM tests skipped (RSMR_SKIP_VM_TESTS is set)"
  exit 0
fi

section "VM tests"
vm-images/test.sh
