#!/bin/bash
# VM tests of the replica image, on real libvirt and QEMU (TCG here), run by .ci/run:
#   1. build the image twice and compare the digests (reproducible);
#   2. boot one replica VM: the guest's first JSON line arrives on the virtio-serial socket, the
#      guest answers ping on the payload network, the replica inside starts;
#   3. (when the replica jar can run a cluster) boot n = 4 (k = 0) replica VMs and commit KV
#      operations from the host.
# Prints the figures (boot to first line, guest memory, image size, build time) and writes them to
# bench/vm-boot.md with RSMR_BENCH=1. Tears down only the domains and processes it made.
# Environment: RSMR_SKIP_BUILD=1 reuses vm-images/out (skips step 1); RSMR_EXTRA_CMDLINE is
# appended to the guest kernel command line (diagnosis, e.g. "loglevel=7 printk.time=1");
# KEEP_RUN=1 keeps the run's files (console logs) in vm-images/out/test-logs.
set -euo pipefail

readonly HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly REPO=$(dirname "$HERE")
readonly OUT=$HERE/out
readonly URI=qemu:///system
readonly BRIDGE=rsmr-pay0
readonly HOST_ADDR=198.18.0.1
readonly DOMAIN_TYPE=${RSMR_DOMAIN_TYPE:-qemu}
readonly MEMORY_MIB=256
readonly TCG_CODE_CACHE_MIB=${RSMR_TCG_CODE_CACHE_MIB:-64}
readonly DATA_DISK_MIB=64
readonly FIRST_LINE_WAIT_SECONDS=60
readonly PING_WAIT_SECONDS=20
readonly RUN=$(mktemp -d /var/tmp/rsmr-vmtest.XXXXXX)
readonly SERVICE_PORT=7001
# The image the next vm_start boots: the real one, or the test-service variant.
IMAGE=$OUT
readonly TAG=rsmr-test-$$

DOMAINS=()
PIDS=()
PASSED=0
FAILED=0

log() { echo "vm-test: $*" >&2; }
now_ms() { date +%s%3N; }

cleanup() {
  local d p
  for d in "${DOMAINS[@]}"; do virsh -c "$URI" destroy "$d" >/dev/null 2>&1 || true; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ "$FAILED" -gt 0 ] || [ -n "${KEEP_RUN:-}" ]; then
    mkdir -p "$OUT/test-logs" && cp -r "$RUN/." "$OUT/test-logs/" 2>/dev/null || true
    log "run files kept in $OUT/test-logs"
  fi
  rm -rf "$RUN"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); log "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); log "FAIL $1"; }

# --- the VM plumbing (what the agent will do in Java) ----------------------------------------

replica_addr() { echo "198.18.0.$((10 + $1))"; }

# Writes the config disk of replica $1 with the replica's arguments in $2 (one per line).
make_config() { # index replica-args
  local dir=$RUN/r$1/config-src
  mkdir -p "$dir"
  echo "rsmr-config 1" >"$dir/format"
  echo "$1" >"$dir/replica-id"
  echo 0 >"$dir/epoch"
  echo "$(replica_addr "$1")/24" >"$dir/payload-address"
  printf '%s\n' "$2" >"$dir/replica-args"
  "$HERE/make-config-disk.sh" "$dir" "$RUN/r$1/config.img"
}

domain_features() {
  [ "$DOMAIN_TYPE" = qemu ] && echo "<tcg><tb-cache unit='MiB'>$TCG_CODE_CACHE_MIB</tb-cache></tcg>"
  return 0
}

domain_xml() { # index
  local d=$RUN/r$1
  sed -e "s|@NAME@|$TAG-r$1|" -e "s|@DOMAIN_TYPE@|$DOMAIN_TYPE|" -e "s|@MEMORY_MIB@|$MEMORY_MIB|" \
    -e "s|@KERNEL@|$IMAGE/vmlinuz|" -e "s|@INITRD@|$IMAGE/initramfs.img|" -e "s|@CMDLINE@|$CMDLINE|" \
    -e "s|@ROOT_OVERLAY@|$d/root.qcow2|" -e "s|@ROOT_GOLDEN@|$IMAGE/root.img|" \
    -e "s|@DATA_DISK@|$d/data.img|" -e "s|@CONFIG_DISK@|$d/config.img|" \
    -e "s|@SMW_SOCKET@|$d/smw.sock|" -e "s|@BRIDGE@|$BRIDGE|" \
    -e "s|@FEATURES@|$(domain_features)|" -e "s|@MAC@|$(printf '52:54:00:18:00:%02x' $((10 + $1)))|" -e "s|@CONSOLE_LOG@|$d/console.log|" \
    "$HERE/domain.xml.template"
}

# Prepares the disks of replica $1 and starts its domain; records the start time in START_MS[$1].
declare -A START_MS=() READER_PID=()
vm_start() { # index
  local d=$RUN/r$1
  mkdir -p "$d"
  rm -f "$d/smw.lines" "$d/root.qcow2" "$d/data.img"
  qemu-img create -q -f qcow2 -F raw -b "$IMAGE/root.img" "$d/root.qcow2"
  truncate -s "${DATA_DISK_MIB}M" "$d/data.img"
  [ -n "${BLANK_DATA_DISK:-}" ] || mke2fs -q -F -t ext4 -L rsmr-data "$d/data.img"
  : >"$d/console.log" # <serial type='file'> appends
  domain_xml "$1" >"$d/domain.xml"
  if grep -q '@[A-Z_]*@' "$d/domain.xml"; then log "unfilled placeholder in $d/domain.xml"; return 1; fi
  START_MS[$1]=$(now_ms)
  virsh -c "$URI" create "$d/domain.xml" >/dev/null
  DOMAINS+=("$TAG-r$1")
  socat -u "UNIX-CONNECT:$d/smw.sock" "OPEN:$d/smw.lines,creat,append" &
  PIDS+=($!)
  READER_PID[$1]=$!
}

vm_stop() { # index (a domain that already ended is fine: on_reboot/on_crash destroy it)
  virsh -c "$URI" destroy "$TAG-r$1" >/dev/null 2>&1 || true
  kill "${READER_PID[$1]}" 2>/dev/null || true
  wait "${READER_PID[$1]}" 2>/dev/null || true
}

# Waits for the guest's next memory line on the console; sets GUEST_MEM_KIB.
wait_guest_memory() { # index
  local i line
  for ((i = 0; i < 40; i++)); do
    line=$(grep -a 'rsmr-init: memory: used' "$RUN/r$1/console.log" | tail -n1)
    if [ -n "$line" ]; then GUEST_MEM_KIB=$(echo "$line" | awk '{print $4}'); return 0; fi
    sleep 0.5
  done
  return 1
}

# Waits for the first line from replica $1's guest on io.rsmr.smw.0; sets FIRST_LINE, FIRST_LINE_MS.
wait_first_line() { # index
  local f=$RUN/r$1/smw.lines deadline=$(($(now_ms) + FIRST_LINE_WAIT_SECONDS * 1000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if [ -s "$f" ] && FIRST_LINE=$(head -n1 "$f") && [ "${FIRST_LINE: -1}" = "}" ]; then
      FIRST_LINE_MS=$(($(now_ms) - START_MS[$1]))
      return 0
    fi
    sleep 0.02
  done
  return 1
}

wait_ping() { # address
  local i
  for ((i = 0; i < PING_WAIT_SECONDS; i++)); do
    ping -c1 -W1 -q "$1" >/dev/null 2>&1 && return 0
  done
  return 1
}

qemu_rss_kib() { # index
  local pid
  pid=$(cat "/var/run/libvirt/qemu/$TAG-r$1.pid")
  ps -o rss= -p "$pid" | tr -d ' '
}

# --- the tests --------------------------------------------------------------------------------

test_reproducible_build() {
  local first second t0
  t0=$SECONDS
  "$HERE/build.sh"
  BUILD_SECONDS=$((SECONDS - t0))
  first=$(grep '"sha256"' "$OUT/manifest.json")
  "$HERE/build.sh"
  second=$(grep '"sha256"' "$OUT/manifest.json")
  if [ "$first" = "$second" ]; then REPRODUCIBLE=identical; pass "reproducible_build (build ${BUILD_SECONDS}s)"; else
    REPRODUCIBLE=DIFFERENT
    fail "reproducible_build: digests differ between two builds"; diff <(echo "$first") <(echo "$second") >&2 || true
  fi
}

test_one_vm_boots() {
  make_config 1 "--help"
  vm_start 1
  if wait_first_line 1 && echo "$FIRST_LINE" | grep -q '"event":"guest-up","replicaId":1,"epoch":0'; then
    pass "guest_first_line (${FIRST_LINE_MS} ms from start: $FIRST_LINE)"
  else
    fail "guest_first_line: no guest-up line within ${FIRST_LINE_WAIT_SECONDS}s; console: $(tail -5 "$RUN/r1/console.log")"
    vm_stop 1
    return
  fi
  if wait_ping "$(replica_addr 1)"; then pass "guest_answers_ping"; else fail "guest_answers_ping"; fi
  if wait_guest_memory 1; then
    QEMU_RSS_KIB=$(qemu_rss_kib 1)
    pass "guest_reports_memory (used ${GUEST_MEM_KIB} KiB in the guest; qemu RSS ${QEMU_RSS_KIB} KiB on the host)"
  else
    fail "guest_reports_memory: no memory line on the console within 20 s"
  fi
  vm_stop 1
}

# A config disk of another format: the guest must say so on io.rsmr.smw.0, not start the replica.
test_bad_config_disk_reported() {
  local src=$RUN/bad-config
  make_config 1 "--help"
  mkdir -p "$src" && echo "rsmr-config 999" >"$src/format"
  mke2fs -q -F -t ext4 -O ^has_journal -d "$src" "$RUN/r1/config.img" 1M
  vm_start 1
  if wait_first_line 1 && echo "$FIRST_LINE" | grep -q '"event":"guest-error","reason":"config disk format is not'; then
    pass "bad_config_disk_reported ($FIRST_LINE)"
  else
    fail "bad_config_disk_reported: got '${FIRST_LINE:-nothing}'"
  fi
  vm_stop 1
}

# A data disk without a file system (new, or wiped) is formatted by the guest and reported so.
test_blank_data_disk_formatted() {
  make_config 1 "--help"
  BLANK_DATA_DISK=1 vm_start 1
  if wait_first_line 1 && echo "$FIRST_LINE" | grep -q '"event":"guest-up".*"data":"formatted"'; then
    pass "blank_data_disk_formatted"
  else
    fail "blank_data_disk_formatted: got '${FIRST_LINE:-nothing}'"
  fi
  vm_stop 1
}

# Waits until replica $1's guest has sent a line matching $2 on io.rsmr.smw.0; sets LINE.
wait_line() { # index pattern [seconds]
  local deadline=$(($(now_ms) + ${3:-$FIRST_LINE_WAIT_SECONDS} * 1000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    LINE=$(grep -a -m1 -e "$2" "$RUN/r$1/smw.lines" 2>/dev/null) && return 0
    sleep 0.05
  done
  return 1
}

# Waits until replica $1's guest has sent $3 lines matching $2.
wait_count() { # index pattern count seconds
  local deadline=$(($(now_ms) + $4 * 1000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    [ "$(grep -ac -e "$2" "$RUN/r$1/smw.lines" 2>/dev/null)" -ge "$3" ] && return 0
    sleep 0.05
  done
  return 1
}

# Sends one line to a TCP service and prints the first line of the answer.
ask() { # address port line
  printf '%s\n' "$3" | timeout 10 socat -t 5 - "TCP:$1:$2,connect-timeout=5" 2>/dev/null | head -n1
}

# The image mechanics any service relies on, shown with a stand-in Java service
# (test-service/, beside the real replica's tests): the jlink runtime runs, entropy is there,
# the service answers on the payload network and writes to io.rsmr.smw.0 after the init, and the
# init restarts it when it dies and tells the agent.
test_service_supervised() {
  local img=$RUN/test-service-image classes=$RUN/test-service-classes t0 addr
  addr=$(replica_addr 1)
  mkdir -p "$classes"
  javac -Xlint:all -Werror --release 17 -d "$classes" "$HERE/test-service/io/rsmr/vmtest/EchoService.java"
  jar --create --file "$RUN/test-service.jar" --main-class io.rsmr.vmtest.EchoService -C "$classes" .
  RSMR_IMAGE_OUT=$img RSMR_REPLICA_JAR=$RUN/test-service.jar "$HERE/build.sh" 2>/dev/null
  IMAGE=$img
  make_config 1 "$SERVICE_PORT"
  t0=$(now_ms)
  vm_start 1
  if wait_line 1 '"event":"service-ready"'; then
    SERVICE_READY_MS=$(($(now_ms) - t0))
    pass "service_ready_line (${SERVICE_READY_MS} ms from start: $LINE)"
  else
    fail "service_ready_line: none; console: $(tail -5 "$RUN/r1/console.log")"
  fi
  if [ "$(ask "$addr" "$SERVICE_PORT" hello)" = "echo hello" ]; then pass "service_answers_tcp"; else fail "service_answers_tcp"; fi
  ask "$addr" "$SERVICE_PORT" exit >/dev/null
  if wait_line 1 '"event":"replica-exited","status":3,"restarts":1' 10; then pass "service_exit_reported ($LINE)"; else fail "service_exit_reported"; fi
  if wait_count 1 '"event":"service-ready"' 2 30 && [ "$(ask "$addr" "$SERVICE_PORT" again)" = "echo again" ]; then
    pass "service_restarted"
  else
    fail "service_restarted: $(cat "$RUN/r1/smw.lines")"
  fi
  vm_stop 1
  IMAGE=$OUT
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

# Boots replica 1 $1 times, each from a fresh overlay, and records start -> first line.
bench_boots() { # count
  local i times=()
  LOAD_AT_BOOTS=$(cut -d' ' -f1-3 /proc/loadavg)
  for ((i = 0; i < $1; i++)); do
    make_config 1 "--help"
    vm_start 1
    if ! wait_first_line 1; then fail "bench_boot $i: no first line"; vm_stop 1; return; fi
    times+=("$FIRST_LINE_MS")
    vm_stop 1
  done
  BOOT_TIMES="${times[*]}"
  BOOT_MEDIAN_MS=$(printf '%s\n' "${times[@]}" | median)
  log "boot to first line over $1 boots: median ${BOOT_MEDIAN_MS} ms (all: $BOOT_TIMES)"
}

# bench/vm-boot.md: the figures of this run, with the command, commit and machine.
write_bench() {
  local f=$REPO/bench/vm-boot.md mem_gib
  mem_gib=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
  mkdir -p "$REPO/bench"
  cat >"$f" <<EOB
# VM image: build and boot (vm-images/test.sh)

- command: \`RSMR_BENCH=1 RSMR_BENCH_BOOTS=${RSMR_BENCH_BOOTS:-3} vm-images/test.sh\`${RSMR_SKIP_BUILD:+ (with RSMR_SKIP_BUILD=1)}
- commit: $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet -- vm-images scripts || echo ' (vm-images/ or scripts/ modified)')
- machine: $(nproc) cores, ${mem_gib} GiB, domain type ${DOMAIN_TYPE} ($([ "$DOMAIN_TYPE" = qemu ] && echo "TCG, no KVM" || echo KVM)), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
- date: $(date -u +%Y-%m-%dT%H:%MZ); load average at the start of the boots ${LOAD_AT_BOOTS}, at the end $(cut -d' ' -f1-3 /proc/loadavg) (TCG is CPU-bound: other work on the 2 shared cores slows boots)

| figure | value | goal |
| --- | --- | --- |
| start (virsh create) → first line on io.rsmr.smw.0, median of ${RSMR_BENCH_BOOTS:-3} boots | ${BOOT_MEDIAN_MS} ms (all: ${BOOT_TIMES}) | ≤ 10 s |
| guest memory used (MemTotal − MemAvailable, in the guest) | ${GUEST_MEM_KIB} KiB of ${MEMORY_MIB} MiB | ≤ 256 MiB |
| QEMU RSS on the host (TCG code cache ${TCG_CODE_CACHE_MIB} MiB) | ${QEMU_RSS_KIB} KiB | — |
| root image (root.img) | $(stat -c %s "$OUT/root.img") bytes | ≤ 120 MB |
| initramfs.img, vmlinuz | $(stat -c %s "$OUT/initramfs.img"), $(stat -c %s "$OUT/vmlinuz") bytes | — |
| build time (build.sh, Debian packages cached) | ${BUILD_SECONDS:-not measured (RSMR_SKIP_BUILD)} s | ≤ 5 min |
| digests of two consecutive builds | ${REPRODUCIBLE:-not checked (RSMR_SKIP_BUILD)} | identical |

Digests (manifest.json):

\`\`\`
$(grep '"sha256"' "$OUT/manifest.json" | sed 's/^ *//')
\`\`\`
EOB
  log "wrote $f"
}

main() {
  [ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
  if [ -n "${RSMR_ONLY:-}" ]; then # one test, for diagnosis: RSMR_ONLY=test_service_supervised
    "$REPO/scripts/libvirt-up.sh" && "$REPO/scripts/net-up.sh" "$BRIDGE" "$HOST_ADDR/24"
    CMDLINE="$("$HERE/host-cmdline.sh" "$OUT/manifest.json")${RSMR_EXTRA_CMDLINE:+ $RSMR_EXTRA_CMDLINE}"
    chmod 755 "$RUN"
    "$RSMR_ONLY"
    echo "vm-test: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    return
  fi
  chmod 755 "$RUN"
  "$REPO/scripts/libvirt-up.sh"
  "$REPO/scripts/net-up.sh" "$BRIDGE" "$HOST_ADDR/24"
  if [ -z "${RSMR_SKIP_BUILD:-}" ]; then test_reproducible_build; fi
  CMDLINE="$("$HERE/host-cmdline.sh" "$OUT/manifest.json")${RSMR_EXTRA_CMDLINE:+ $RSMR_EXTRA_CMDLINE}"
  test_one_vm_boots
  test_bad_config_disk_reported
  test_blank_data_disk_formatted
  test_service_supervised
  bench_boots "${RSMR_BENCH_BOOTS:-3}"
  [ -z "${RSMR_BENCH:-}" ] || write_bench
  echo "vm-test: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

main "$@"
