#!/bin/bash
# Starts libvirt on a machine without systemd, idempotently: installs what is missing, fixes the
# three traps of this environment (architecture.md, "Practical facts"), starts virtlogd and
# libvirtd only when they are not already running, and waits until libvirt answers.
# Never defines, starts or autostarts libvirt's `default` NAT network.
set -euo pipefail

readonly PACKAGES=(libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu qemu-system-x86
  qemu-utils tini e2fsprogs busybox-static cpio iptables iproute2 iputils-ping socat)
readonly LIBVIRT_URI=qemu:///system
readonly READY_WAIT_SECONDS=30
readonly LIBVIRTD_PIDFILE=/var/run/libvirtd.pid
readonly VIRTLOGD_PIDFILE=/var/run/virtlogd.pid
readonly LIBVIRTD_LOG=/var/log/libvirt/libvirtd-rsmr.log

log() { echo "libvirt-up: $*" >&2; }

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  # The package lists may be absent on a fresh machine; update only then (it costs ~10 s).
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/rsmr-apt.log 2>&1; then
    apt-get update -q >>/tmp/rsmr-apt.log 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
      >>/tmp/rsmr-apt.log 2>&1 || { log "apt-get install failed, see /tmp/rsmr-apt.log"; exit 1; }
  fi
}

# Trap 3: without udev /dev/kvm is 0600 root:root and libvirt re-probes QEMU on every start.
fix_kvm_node() {
  [ -e /dev/kvm ] || return 0
  getent group kvm >/dev/null || groupadd -r kvm
  chown root:kvm /dev/kvm
  chmod 0660 /dev/kvm
}

# libvirt's packaging creates the `default` network and marks it autostart; this project never uses
# it (no NAT, no route out), so the autostart link goes before libvirtd can act on it.
disable_default_network() {
  rm -f /etc/libvirt/qemu/networks/autostart/default.xml
}

pid_alive() { # pidfile
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

start_virtlogd() {
  pid_alive "$VIRTLOGD_PIDFILE" && return 0
  virtlogd -d -p "$VIRTLOGD_PIDFILE"
}

libvirt_answers() {
  timeout 5 virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1
}

# Trap 2: PID 1 here reaps orphans slowly and libvirtd orphans its qemu processes, so libvirtd runs
# under tini as a child subreaper (-s), in the foreground (no -d), detached from this shell.
start_libvirtd() {
  if pid_alive "$LIBVIRTD_PIDFILE"; then
    local ppid_comm
    ppid_comm=$(ps -o comm= -p "$(ps -o ppid= -p "$(cat "$LIBVIRTD_PIDFILE")" | tr -d ' ')" || true)
    [ "$ppid_comm" = tini ] || log "warning: libvirtd already runs without the tini subreaper (destroy will be slow)"
    return 0
  fi
  rm -f "$LIBVIRTD_PIDFILE"
  setsid tini -s -- libvirtd -p "$LIBVIRTD_PIDFILE" </dev/null >>"$LIBVIRTD_LOG" 2>&1 &
  log "started libvirtd under tini (tini pid $!)"
}

wait_ready() {
  local i
  for ((i = 0; i < READY_WAIT_SECONDS * 10; i++)); do
    libvirt_answers && return 0
    sleep 0.1
  done
  log "libvirt did not answer on $LIBVIRT_URI within ${READY_WAIT_SECONDS}s; see $LIBVIRTD_LOG"
  exit 1
}

ensure_default_network_off() {
  if virsh -c "$LIBVIRT_URI" net-info default >/dev/null 2>&1; then
    virsh -c "$LIBVIRT_URI" net-autostart default --disable >/dev/null 2>&1 || true
    # Captured first: with pipefail, grep -q's early exit could fail the pipeline (SIGPIPE).
    local info
    info=$(virsh -c "$LIBVIRT_URI" net-info default 2>/dev/null) || true
    if grep -Eq '^Active:\s+yes' <<<"$info"; then
      virsh -c "$LIBVIRT_URI" net-destroy default >/dev/null
    fi
  fi
}

main() {
  [ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
  install_missing
  mkdir -p /var/log/libvirt /var/run/libvirt
  fix_kvm_node
  disable_default_network
  start_virtlogd
  start_libvirtd
  wait_ready
  ensure_default_network_off
  log "libvirt answers on $LIBVIRT_URI"
}

main "$@"
