#!/bin/bash
# Undoes net-up.sh, idempotently: removes the bridge and its forwarding rules.
# Guests still attached lose their network; stop them first.
# Usage: net-down.sh [bridge]
set -euo pipefail

readonly BRIDGE=${1:-rsmr-pay0}
readonly CHAIN="${BRIDGE^^}-FWD"
readonly INPUT_CHAIN="${BRIDGE^^}-IN"

[ "$(id -u)" -eq 0 ] || { echo "net-down: must run as root" >&2; exit 1; }
while iptables -w -C FORWARD -j "$CHAIN" 2>/dev/null; do iptables -w -D FORWARD -j "$CHAIN"; done
if iptables -w -L "$CHAIN" -n >/dev/null 2>&1; then
  iptables -w -F "$CHAIN"
  iptables -w -X "$CHAIN"
fi
while iptables -w -C INPUT -j "$INPUT_CHAIN" 2>/dev/null; do iptables -w -D INPUT -j "$INPUT_CHAIN"; done
if iptables -w -L "$INPUT_CHAIN" -n >/dev/null 2>&1; then
  iptables -w -F "$INPUT_CHAIN"
  iptables -w -X "$INPUT_CHAIN"
fi
if ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link del "$BRIDGE"
fi
echo "net-down: $BRIDGE removed" >&2
