#!/bin/bash
# Makes the payload network of local tests, idempotently: a Linux bridge (default rsmr-pay0) with
# the host at 198.18.0.1/24, no default route through it, no NAT, iptables rules that drop anything
# from the bridge or its subnet that would be forwarded beyond the bridge, and anything arriving
# from the bridge for a host address outside the bridge's subnet.
# Guests attach with <interface type='bridge'><source bridge='rsmr-pay0'/>.
# Usage: net-up.sh [bridge] [host-cidr]
set -euo pipefail

readonly BRIDGE=${1:-rsmr-pay0}
readonly HOST_CIDR=${2:-198.18.0.1/24}
readonly CHAIN="${BRIDGE^^}-FWD"
readonly INPUT_CHAIN="${BRIDGE^^}-IN"

log() { echo "net-up: $*" >&2; }

subnet_of() { # a.b.c.d/len -> network/len (len must be 24 here: all project networks are /24)
  local addr=${1%/*} len=${1#*/}
  [ "$len" = 24 ] || { log "only /24 networks are supported, got $1"; exit 1; }
  echo "${addr%.*}.0/24"
}

ensure_bridge() {
  # Tolerates a concurrent run (another test making the same bridge): add, then check it is there.
  ip link add "$BRIDGE" type bridge 2>/dev/null || ip link show "$BRIDGE" >/dev/null
  # No STP and no forwarding delay: a guest's tap must carry traffic as soon as it is attached.
  ip link set "$BRIDGE" type bridge stp_state 0 forward_delay 0
  ip addr replace "$HOST_CIDR" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

ensure_rule() { # rule... (appended to our chain unless already there)
  iptables -w -C "$CHAIN" "$@" 2>/dev/null || iptables -w -A "$CHAIN" "$@"
}

# A chain of our own, hooked once into FORWARD, so that re-running changes nothing.
ensure_no_forwarding_out() {
  local subnet
  subnet=$(subnet_of "$HOST_CIDR")
  iptables -w -N "$CHAIN" 2>/dev/null || true
  ensure_rule -i "$BRIDGE" ! -o "$BRIDGE" -j DROP
  ensure_rule -s "$subnet" ! -o "$BRIDGE" -j DROP
  ensure_rule -o "$BRIDGE" ! -i "$BRIDGE" -j DROP
  iptables -w -C FORWARD -j "$CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$CHAIN"
}

# Linux accepts a packet for any of the host's addresses on any interface: a guest that adds a
# route via the host could reach the host's address on another network (the management LAN's
# 198.19.0.1). From the bridge, the host takes only packets addressed within the bridge's subnet.
ensure_no_input_beyond_subnet() {
  local subnet
  subnet=$(subnet_of "$HOST_CIDR")
  iptables -w -N "$INPUT_CHAIN" 2>/dev/null || true
  iptables -w -C "$INPUT_CHAIN" -i "$BRIDGE" ! -d "$subnet" -j DROP 2>/dev/null \
    || iptables -w -A "$INPUT_CHAIN" -i "$BRIDGE" ! -d "$subnet" -j DROP
  iptables -w -C INPUT -j "$INPUT_CHAIN" 2>/dev/null || iptables -w -I INPUT 1 -j "$INPUT_CHAIN"
}

check_no_route_out() {
  if ip route show default | grep -qw "dev $BRIDGE"; then
    log "a default route goes through $BRIDGE; remove it (this network must not route out)"
    exit 1
  fi
}

main() {
  [ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
  ensure_bridge
  ensure_no_forwarding_out
  ensure_no_input_beyond_subnet
  check_no_route_out
  log "$BRIDGE up with $HOST_CIDR, forwarding out and input beyond the subnet dropped"
}

main "$@"
