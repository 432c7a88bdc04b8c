#!/bin/bash
# Installs what building and unit-testing rsmr needs on a fresh Debian 12 machine: a JDK 17, Maven,
# and libvirt's client library (the agent's libvirt adapter is unit-tested against libvirt's test
# driver through JNA). Idempotent: installs only what is missing. VM tests need more:
# scripts/libvirt-up.sh.
set -euo pipefail

log() { echo "install-build-deps: $*" >&2; }

missing=()
command -v javac >/dev/null 2>&1 && javac -version 2>&1 | grep -Eq 'javac (1[7-9]|[2-9][0-9])' || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
dpkg-query -W -f='${Status}' libvirt0 2>/dev/null | grep -q 'install ok installed' || missing+=(libvirt0)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
log "installing: ${missing[*]}"
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
