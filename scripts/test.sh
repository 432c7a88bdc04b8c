#!/bin/bash
# The test command of the README, run as-is by .ci/run: every unit, simulation and multi-process
# test, the system tests on network namespaces (mvn -B verify -Psystem-tests), then the VM image
# tests (vm-images/test.sh) and the agent's tests on real libvirt guests (agent/test-vm.sh).
# Installs what it needs. RSMR_SKIP_SYSTEM_TESTS=1 runs only the tests that need no root (a
# developer's quick loop); CI never sets it.
set -euo pipefail

readonly REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

section() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

section "build dependencies"
scripts/install-build-deps.sh

if [ -n "${RSMR_SKIP_SYSTEM_TESTS:-}" ]; then
  section "mvn -B verify (system tests skipped: RSMR_SKIP_SYSTEM_TESTS is set)"
  mvn -B -ntp verify
  exit 0
fi

# The system tests (*SystemIT: network namespaces, bridges, libvirt guests) need these up.
section "host setup: libvirt, payload bridge, management LAN"
scripts/libvirt-up.sh
scripts/net-up.sh
scripts/mgmt-net-up.sh

section "mvn -B verify -Psystem-tests"
mvn -B -ntp verify -Psystem-tests

section "VM image tests"
vm-images/test.sh

section "agent VM tests"
agent/test-vm.sh
