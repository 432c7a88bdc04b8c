#!/bin/bash
# Removes what mgmt-net-up.sh made: the namespaces rsmr-h<i> (their veth pairs go with them) and the
# bridge rsmr-mgmt0 (net-down.sh). Idempotent.
set -euo pipefail
readonly HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "mgmt-net-down: must run as root" >&2; exit 1; }
for ns in $(ip netns list | awk '{print $1}' | grep -E '^rsmr-h[0-9]+$' || true); do
  ip netns delete "$ns"
done
"$HERE/net-down.sh" rsmr-mgmt0
