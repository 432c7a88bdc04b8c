#!/bin/bash
# Prints the guest kernel command line for a guest run on THIS host: the image's base command
# line (kernelCmdline in manifest.json, signed with the image) plus the clock fix
# tsc_early_khz=<host MHz x 1000>. Under TCG the guest's TSC calibration otherwise fails at random
# and boot takes 27-82 s instead of ~2.6 s (architecture.md, trap 1). The value is host-specific,
# so it is computed where the domain is defined (here for test.sh; the agent does the same in
# Java), never at image build time. Harmless under KVM (kvm-clock takes over).
# Usage: host-cmdline.sh <manifest.json>
set -euo pipefail

die() { echo "host-cmdline: $*" >&2; exit 1; }
[ $# -eq 1 ] && [ -r "$1" ] || die "usage: host-cmdline.sh <manifest.json>"

base=$(sed -n 's/^  "kernelCmdline": "\(.*\)",$/\1/p' "$1")
[ -n "$base" ] || die "$1 has no kernelCmdline"
mhz=$(awk -F: '/^cpu MHz/ {gsub(/ /, "", $2); print $2; exit}' /proc/cpuinfo)
[ -n "$mhz" ] || die "/proc/cpuinfo has no 'cpu MHz' line"
khz=$(awk -v m="$mhz" 'BEGIN {printf "%d", m * 1000 + 0.5}')
echo "$base tsc_early_khz=$khz"
