#!/bin/bash
# Makes the management LAN of local tests and the demo, idempotently: the bridge rsmr-mgmt0 with the
# orchestrator (this host) at 198.19.0.1/24 — no route out, nothing forwarded beyond it (net-up.sh) —
# and one network namespace per agent host, rsmr-h<i>, wired to the bridge by a veth pair, with the
# agent's address 198.19.0.(10+i)/24, loopback up and no default route.
# Usage: mgmt-net-up.sh [hosts=6]
set -euo pipefail

readonly HOSTS=${1:-6}
readonly BRIDGE=rsmr-mgmt0
readonly PREFIX=198.19.0
readonly HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { echo "mgmt-net-up: $*" >&2; }

# Output is captured before grep -q: with pipefail, grep -q's early exit makes the writer die of
# SIGPIPE, the pipeline "fail", and the fallback run although the match was found.
has_line() { # text pattern
  grep -qw -- "$2" <<<"$1"
}

ensure_namespace() { # i
  local i=$1 ns=rsmr-h$1 outside=rsmr-h$1-br
  has_line "$(ip netns list)" "^$ns" || ip netns add "$ns"
  if ! ip link show "$outside" >/dev/null 2>&1; then
    ip link add "$outside" type veth peer name eth0 netns "$ns"
  fi
  ip link set "$outside" master "$BRIDGE" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  has_line "$(ip -n "$ns" addr show dev eth0)" "inet $PREFIX.$((10 + i))/24" \
    || ip -n "$ns" addr add "$PREFIX.$((10 + i))/24" dev eth0
  if [ -n "$(ip -n "$ns" route show default)" ]; then
    log "$ns has a default route; this LAN must not route out"
    exit 1
  fi
}

main() {
  [ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
  [[ "$HOSTS" =~ ^[1-9][0-9]?$ ]] || { log "hosts must be 1..99, got $HOSTS"; exit 2; }
  "$HERE/net-up.sh" "$BRIDGE" "$PREFIX.1/24"
  local i
  for i in $(seq 1 "$HOSTS"); do
    ensure_namespace "$i"
  done
  log "$BRIDGE with namespaces rsmr-h1..rsmr-h$HOSTS at $PREFIX.11..$PREFIX.$((10 + HOSTS))"
}

main "$@"
