#!/bin/bash
# VM tests of the replica image, on real libvirt and QEMU (TCG here), run by scripts/test.sh (CI):
#   - the image builds twice to the same digests;
#   - one replica VM boots: the guest's first JSON line arrives on the virtio-serial socket, the
#     guest answers ping on the payload network, the replica inside starts and accepts TCP;
#   - a bad config disk is reported, a blank data disk is formatted;
#   - a guest cannot reach the management LAN (issue 7), even with a route via the host;
#   - a stand-in Java service shows the init's supervision (restart on exit, lines to the agent);
#   - clusters of n = 4 (k = 0) and n = 6 (k = k' = 1) replica VMs commit KV operations sent
#     from the host.
# Tears down only the domains and processes it made. Prints the figures; RSMR_BENCH=1 also
# writes them to bench/vm-boot.md.
# Environment: RSMR_SKIP_BUILD=1 reuses vm-images/out; RSMR_REPLICA_JAR (default
# replica-app/target/rsmr-replica.jar); RSMR_BENCH_BOOTS boots to time (default 3);
# RSMR_EXTRA_CMDLINE is appended to the guest kernel command line (diagnosis, e.g. "loglevel=7");
# RSMR_JVM_OPTIONS, when set, is the config disk's jvm-options (diagnosis; one option a word);
# KEEP_RUN=1 keeps the run's files (console logs) in vm-images/out/test-logs;
# RSMR_ONLY="<test function> [args]" runs one test (diagnosis), e.g. "test_cluster_commits 6 1 1".
set -euo pipefail

readonly HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly REPO=$(dirname "$HERE")
readonly OUT=$HERE/out
readonly JAR=${RSMR_REPLICA_JAR:-$REPO/replica-app/target/rsmr-replica.jar}
readonly URI=qemu:///system
readonly BRIDGE=rsmr-pay0
readonly HOST_ADDR=198.18.0.1
readonly DOMAIN_TYPE=${RSMR_DOMAIN_TYPE:-qemu}
readonly MEMORY_MIB=256
readonly TCG_CODE_CACHE_MIB=${RSMR_TCG_CODE_CACHE_MIB:-64}
readonly DATA_DISK_MIB=64
readonly REPLICA_PORT=7001
readonly MGMT_PORT=7100
readonly PROBE_CONTROL_PORT=7199
# The clusters: "n k k'" — PBFT (k = 0), and the paper's smallest exhaustion-safe setting.
readonly CLUSTERS=("4 0 1" "6 1 1")
readonly KV_OPERATIONS=20
readonly FIRST_LINE_WAIT_SECONDS=60
# Under TCG with n guests sharing 2 cores, a JVM takes several seconds to start.
readonly REPLICA_WAIT_SECONDS=120
readonly PING_WAIT_SECONDS=20
# n guests on 2 cores under TCG start their JVMs in turn: the bound grows with n.
readonly CLUSTER_START_SECONDS_PER_REPLICA=60
readonly RUN=$(mktemp -d /var/tmp/rsmr-vmtest.XXXXXX)
readonly TAG=rsmr-test-$$
readonly TOOL_CLASSES=$RUN/tool-classes

DOMAINS=()
PIDS=()
declare -A CLUSTER_STARTED_MS=() CLUSTER_KV=()
PASSED=0
FAILED=0
# The image the next vm_start boots: the real one, or the stand-in service's.
IMAGE=$OUT

log() { echo "vm-test: $*" >&2; }
now_ms() { date +%s%3N; }

cleanup() {
  local d p
  for d in "${DOMAINS[@]}"; do virsh -c "$URI" destroy "$d" >/dev/null 2>&1 || true; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ "$FAILED" -gt 0 ] || [ -n "${KEEP_RUN:-}" ]; then
    rm -rf "$OUT/test-logs" && mkdir -p "$OUT/test-logs" && cp -r "$RUN/." "$OUT/test-logs/" 2>/dev/null || true
    log "run files kept in $OUT/test-logs"
  fi
  rm -rf "$RUN"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); log "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); log "FAIL $1"; }

# --- the VM plumbing (what the agent will do in Java) ----------------------------------------

replica_addr() { echo "198.18.0.$((10 + $1))"; }

# 52:54:00 + the last three bytes of the payload address (the agent's rule too).
replica_mac() { # index
  local a b c
  IFS=. read -r _ a b c <<<"$(replica_addr "$1")"
  printf '52:54:00:%02x:%02x:%02x' "$a" "$b" "$c"
}

# Keys, epoch identities and cluster config of an n-replica cluster, written by replica-app's own
# code (VmClusterTool) into $RUN/cluster-<n>; the payload addresses then move from loopback to
# the guests' addresses on the bridge. Sets CLUSTER_DIR, which make_config reads.
make_cluster_files() { # n k k'
  local i
  CLUSTER_DIR=$RUN/cluster-$1
  if [ ! -d "$TOOL_CLASSES" ]; then
    mkdir -p "$TOOL_CLASSES"
    javac -Xlint:all -Werror --release 17 -cp "$JAR" -d "$TOOL_CLASSES" \
      "$HERE/test-service/io/rsmr/vmtest/VmClusterTool.java"
  fi
  java -cp "$JAR:$TOOL_CLASSES" io.rsmr.vmtest.VmClusterTool create "$CLUSTER_DIR" "$1" "$2" "$3"
  for ((i = 1; i <= $1; i++)); do
    sed -i "/- {id: $i,/s|payloadAddress: \"[^\"]*\"|payloadAddress: \"$(replica_addr "$i"):$REPLICA_PORT\"|" \
      "$CLUSTER_DIR/cluster.yaml"
  done
}

# Writes the config disk of replica $1: the init's files, then either the replica's files
# (identity, cluster config and the public keys it names; never an agent's private key) or,
# with a second argument, that argument as the stand-in service's only replica-arg.
make_config() { # index [service-arg]
  local dir=$RUN/r$1/config-src
  rm -rf "$dir" && mkdir -p "$dir"
  echo "rsmr-config 1" >"$dir/format"
  echo "$1" >"$dir/replica-id"
  echo 1 >"$dir/epoch" # VmClusterTool issues the identities of epoch 1
  echo "$(replica_addr "$1")/24" >"$dir/payload-address"
  [ -z "${RSMR_JVM_OPTIONS:-}" ] || printf '%s\n' $RSMR_JVM_OPTIONS >"$dir/jvm-options"
  if [ $# -eq 2 ]; then
    echo "$2" >"$dir/replica-args"
  else
    cp "$CLUSTER_DIR/cluster.yaml" "$CLUSTER_DIR/operator.pub" "$CLUSTER_DIR"/agent-h*.pub "$dir/"
    cp "$CLUSTER_DIR/replica-$1.key" "$dir/replica.identity"
    printf '%s\n' --config /config/cluster.yaml --id "$1" --identity /config/replica.identity \
      --data-dir /data >"$dir/replica-args"
  fi
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
    -e "s|@FEATURES@|$(domain_features)|" -e "s|@MAC@|$(replica_mac "$1")|" \
    -e "s|@CONSOLE_LOG@|$d/console.log|" "$HERE/domain.xml.template"
}

# Prepares the disks of replica $1 (its config disk must be made) and starts its domain; records
# the start time in START_MS[$1]. BLANK_DATA_DISK=1 leaves the data disk without a file system;
# IMMUTABLE_DATA_FILE=1 puts an immutable file on it (root cannot chown it in the guest).
declare -A START_MS=() READER_PID=()
vm_start() { # index
  local d=$RUN/r$1
  rm -f "$d/smw.lines" "$d/root.qcow2" "$d/data.img"
  qemu-img create -q -f qcow2 -F raw -b "$IMAGE/root.img" "$d/root.qcow2"
  truncate -s "${DATA_DISK_MIB}M" "$d/data.img"
  [ -n "${BLANK_DATA_DISK:-}" ] || mke2fs -q -F -t ext4 -L rsmr-data "$d/data.img"
  if [ -n "${IMMUTABLE_DATA_FILE:-}" ]; then
    debugfs -w -R "write /etc/hostname locked" "$d/data.img" >/dev/null 2>&1
    debugfs -w -R "set_inode_field locked flags 0x10" "$d/data.img" >/dev/null 2>&1 # EXT2_IMMUTABLE_FL
  fi
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

# Waits until file $1 has at least $3 lines matching $2; sets LINE (the last match) and
# WAITED_MS (since replica $5's start, when given).
wait_file() { # file pattern count seconds [index]
  local deadline=$(($(now_ms) + $4 * 1000))
  local matches
  while [ "$(now_ms)" -lt "$deadline" ]; do
    matches=$(grep -ac -e "$2" "$1" 2>/dev/null) || true
    if [ "${matches:-0}" -ge "$3" ]; then
      LINE=$(grep -a -e "$2" "$1" | tail -n1)
      [ -z "${5:-}" ] || WAITED_MS=$(($(now_ms) - START_MS[$5]))
      return 0
    fi
    sleep 0.02
  done
  return 1
}

wait_smw() { wait_file "$RUN/r$1/smw.lines" "$2" "${3:-1}" "${4:-$FIRST_LINE_WAIT_SECONDS}" "$1"; }
wait_console() { wait_file "$RUN/r$1/console.log" "$2" "${3:-1}" "${4:-$REPLICA_WAIT_SECONDS}" "$1"; }

wait_ping() { # address
  local i
  for ((i = 0; i < PING_WAIT_SECONDS; i++)); do
    ping -c1 -W1 -q "$1" >/dev/null 2>&1 && return 0
  done
  return 1
}

tcp_accepts() { # address port
  timeout 5 socat -u /dev/null "TCP:$1:$2,connect-timeout=4" 2>/dev/null
}

wait_until_accepts() { # address port
  local i
  for ((i = 0; i < 50; i++)); do
    tcp_accepts "$1" "$2" && return 0
    sleep 0.1
  done
  return 1
}

# Sends one line to a TCP service and prints the first line of the answer.
ask() { # address port line
  printf '%s\n' "$3" | timeout 10 socat -t 5 - "TCP:$1:$2,connect-timeout=5" 2>/dev/null | head -n1
}

qemu_rss_kib() { # index
  ps -o rss= -p "$(cat "/var/run/libvirt/qemu/$TAG-r$1.pid")" | tr -d ' '
}

# CPU time (user + system, all threads) the guest's QEMU process has used: unlike wall time, it
# hardly depends on what else runs on the shared cores.
qemu_cpu_ms() { # index
  local ticks
  ticks=$(awk '{print $14 + $15}' "/proc/$(cat "/var/run/libvirt/qemu/$TAG-r$1.pid")/stat")
  echo $((ticks * 1000 / $(getconf CLK_TCK)))
}

readonly REPLICA_STARTED='rsmr-replica: replica [0-9]* epoch [0-9]* of cluster .* listening on'
# The guest init's line about the JVM it started, from the JVM's /proc/<pid>/status and maps.
readonly REPLICA_PROCESS='rsmr-init: replica pid [0-9]*: uid '

# Checks the init's line about replica $1's process: every uid and gid (real, effective, saved,
# file system) non-zero and no effective capability; and, with a second argument, that the JVM
# mapped the image's CDS archive. Test names start with $2.
check_replica_process() { # index name [cds]
  local ids caps id
  if ! wait_console "$1" "$REPLICA_PROCESS" 1 30; then
    fail "$2_runs_unprivileged: no line about the replica's process; console: $(grep -a 'rsmr-init' "$RUN/r$1/console.log" | tail -3)"
    return
  fi
  ids=$(echo "$LINE" | sed -n 's/.*: uid \([0-9 ]*\), gid \([0-9 ]*\), effective capabilities.*/\1 \2/p')
  caps=$(echo "$LINE" | sed -n 's/.*effective capabilities \([0-9a-f]*\);.*/\1/p')
  local bad=
  [ "$(echo $ids | wc -w)" -eq 8 ] || bad="cannot read 8 ids"
  for id in $ids; do [ "$id" -ne 0 ] || bad="an id is 0"; done
  [ -n "$caps" ] && [ -z "${caps//0/}" ] || bad="effective capabilities '$caps'"
  if [ -z "$bad" ]; then pass "$2_runs_unprivileged ($LINE)"; else fail "$2_runs_unprivileged: $bad: $LINE"; fi
  [ -n "${3:-}" ] || return 0
  if echo "$LINE" | grep -q 'CDS archive: /opt/rsmr/rsmr-replica.jsa mapped'; then pass "$2_uses_cds_archive"; else
    fail "$2_uses_cds_archive: $LINE"
  fi
}

# --- the tests --------------------------------------------------------------------------------

test_reproducible_build() {
  local first second t0
  t0=$SECONDS
  RSMR_REPLICA_JAR=$JAR "$HERE/build.sh"
  BUILD_SECONDS=$((SECONDS - t0))
  first=$(cat "$OUT/manifest.json") # file and chunk digests, chunk roots, inputs
  RSMR_REPLICA_JAR=$JAR "$HERE/build.sh"
  second=$(cat "$OUT/manifest.json")
  if [ "$first" = "$second" ]; then
    REPRODUCIBLE=identical
    pass "reproducible_build (build ${BUILD_SECONDS}s)"
  else
    REPRODUCIBLE=DIFFERENT
    fail "reproducible_build: the manifests (digests) of two builds differ"
    diff <(echo "$first") <(echo "$second") >&2 || true
  fi
}

manifest_chunks() { # file name: its chunk digests as manifest.json lists them, one per line
  awk -v name="\"$1\":" '$1 == name {on = 1; next} on && /\]/ {exit} on && /^ *"[0-9a-f]+",?$/ {gsub(/[ ",]/, ""); print}' \
    "$OUT/manifest.json"
}

test_manifest_chunks() {
  local f bytes chunk_bytes want got i bad=""
  for f in vmlinuz initramfs.img root.img; do
    bytes=$(stat -c %s "$OUT/$f")
    chunk_bytes=$(grep -A1 "\"$f\": {" "$OUT/manifest.json" | sed -n 's/.*"chunkBytes": \([0-9]*\),.*/\1/p')
    [ -n "$chunk_bytes" ] || { bad="$bad $f:no-chunkBytes"; continue; }
    i=0
    while IFS= read -r want; do # each chunk recomputed with dd, independently of build.sh's split
      got=$(dd if="$OUT/$f" bs="$chunk_bytes" skip=$i count=1 iflag=fullblock status=none | sha256sum | cut -d' ' -f1)
      [ "$got" = "$want" ] || bad="$bad $f:chunk$i"
      i=$((i + 1))
    done < <(manifest_chunks "$f")
    [ "$i" -eq $(((bytes + chunk_bytes - 1) / chunk_bytes)) ] || bad="$bad $f:$i-chunks-listed"
  done
  if [ -z "$bad" ]; then pass "manifest_chunks"; else fail "manifest_chunks:$bad"; fi
}

test_one_replica_vm() {
  local addr
  addr=$(replica_addr 1)
  make_config 1
  vm_start 1
  if wait_smw 1 '"event":"guest-up","replicaId":1,"epoch":1'; then
    FIRST_LINE_MS=$WAITED_MS
    pass "guest_first_line (${WAITED_MS} ms from start: $LINE)"
  else
    fail "guest_first_line: none within ${FIRST_LINE_WAIT_SECONDS}s; console: $(tail -5 "$RUN/r1/console.log")"
    vm_stop 1
    return
  fi
  if wait_ping "$addr"; then pass "guest_answers_ping"; else fail "guest_answers_ping"; fi
  if wait_console 1 "$REPLICA_STARTED"; then
    REPLICA_STARTED_MS=$WAITED_MS
    pass "replica_started (${WAITED_MS} ms from start: $LINE)"
  else
    fail "replica_started: console: $(grep -a -v '^\[' "$RUN/r1/console.log" | tail -5)"
  fi
  if wait_smw 1 '"event":"replica-ready","replicaId":1,"epoch":1' 1 30; then
    pass "replica_ready_line (${WAITED_MS} ms from start: $LINE)"
  else
    fail "replica_ready_line: lines were: $(cat "$RUN/r1/smw.lines")"
  fi
  check_replica_process 1 replica cds
  if tcp_accepts "$addr" "$REPLICA_PORT"; then pass "replica_accepts_tcp ($addr:$REPLICA_PORT)"; else
    fail "replica_accepts_tcp ($addr:$REPLICA_PORT)"
  fi
  # The memory line after the replica started: the guest's use with the replica running.
  local before
  before=$(grep -ac 'rsmr-init: memory: used' "$RUN/r1/console.log" || true)
  if wait_console 1 'rsmr-init: memory: used' $((before + 1)) 30; then
    GUEST_MEM_KIB=$(echo "$LINE" | awk '{print $4}')
    QEMU_RSS_KIB=$(qemu_rss_kib 1)
    pass "guest_reports_memory (used ${GUEST_MEM_KIB} KiB in the guest; QEMU RSS ${QEMU_RSS_KIB} KiB on the host)"
  else
    fail "guest_reports_memory: no memory line on the console"
  fi
  vm_stop 1
}

# A config disk of another format: the guest must say so on io.rsmr.smw.0, not start the replica.
test_bad_config_disk_reported() {
  local src=$RUN/bad-config
  make_config 1
  mkdir -p "$src" && echo "rsmr-config 999" >"$src/format"
  mke2fs -q -F -t ext4 -O ^has_journal -d "$src" "$RUN/r1/config.img" 1M
  vm_start 1
  if wait_smw 1 '"event":"guest-error","reason":"config disk format is not'; then
    pass "bad_config_disk_reported ($LINE)"
  else
    fail "bad_config_disk_reported: got '$(cat "$RUN/r1/smw.lines" 2>/dev/null)'"
  fi
  vm_stop 1
}

# Issue 7: a guest cannot reach the management LAN. The guest (test-only rsmr.probe on its kernel
# command line, with a default route via the host, as a compromised guest would add) tries TCP
# connections to an agent's address in its namespace and to the host's management address, both
# listening, and to a control listener on the payload side, which must answer (so the test can fail).
test_guest_cannot_reach_management() {
  local agent=198.19.0.11:$MGMT_PORT host=198.19.0.1:$MGMT_PORT control=$HOST_ADDR:$PROBE_CONTROL_PORT t ok=1
  "$REPO/scripts/mgmt-net-up.sh" 1 >/dev/null
  ip netns exec rsmr-h1 socat "TCP-LISTEN:$MGMT_PORT,bind=${agent%:*},reuseaddr,fork" /dev/null &
  PIDS+=($!)
  socat "TCP-LISTEN:$MGMT_PORT,bind=${host%:*},reuseaddr,fork" /dev/null &
  PIDS+=($!)
  socat "TCP-LISTEN:$PROBE_CONTROL_PORT,bind=${control%:*},reuseaddr,fork" /dev/null &
  PIDS+=($!)
  for t in "$agent" "$host" "$control"; do
    wait_until_accepts "${t%:*}" "${t##*:}" || { fail "guest_cannot_reach_management: listener $t did not come up"; return; }
  done
  make_config 1
  local saved=$CMDLINE
  CMDLINE="$CMDLINE rsmr.probe=$agent,$host,$control rsmr.probe_route=$HOST_ADDR"
  vm_start 1
  CMDLINE=$saved
  if ! wait_smw 1 '"event":"probe"' 3 "$REPLICA_WAIT_SECONDS"; then
    fail "guest_cannot_reach_management: no probe lines: $(cat "$RUN/r1/smw.lines")"
    vm_stop 1
    return
  fi
  grep -q "\"target\":\"$control\",\"reachable\":true" "$RUN/r1/smw.lines" || { ok=; log "control $control not reachable"; }
  for t in "$agent" "$host"; do
    grep -q "\"target\":\"$t\",\"reachable\":false" "$RUN/r1/smw.lines" || { ok=; log "$t reachable from the guest"; }
  done
  if [ -n "$ok" ]; then pass "guest_cannot_reach_management ($agent and $host closed, control $control open)"; else
    fail "guest_cannot_reach_management: $(grep '"probe"' "$RUN/r1/smw.lines" | tr '\n' ' ')"
  fi
  vm_stop 1
}

# A data disk without a file system (new, or wiped) is formatted by the guest and reported so.
test_blank_data_disk_formatted() {
  make_config 1
  BLANK_DATA_DISK=1 vm_start 1
  if wait_smw 1 '"event":"guest-up".*"data":"formatted"'; then pass "blank_data_disk_formatted"; else
    fail "blank_data_disk_formatted: got '$(cat "$RUN/r1/smw.lines" 2>/dev/null)'"
  fi
  vm_stop 1
  check_data_disk_ext4 blank_data_disk_formatted
}

# The guest formats with e2fsprogs' mke2fs (in the image): journaled ext4, not busybox's ext2.
check_data_disk_ext4() { # test name
  local img=$RUN/r1/data.img type features
  type=$(blkid -p -o value -s TYPE "$img" 2>/dev/null) || true
  features=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Filesystem features: *//p')
  if [ "$type" = ext4 ] && [[ " $features " == *" has_journal "* ]]; then
    pass "${1}_ext4 (features: $features)"
  else
    fail "${1}_ext4: the guest's format is '${type:-none}' with features '$features'"
  fi
}

# A data disk that mounts but cannot be given to the replica's user (here: an immutable file; in
# the field: a file system remounted read-only after errors) is formatted too, and the replica
# starts, rather than the guest halting for good.
test_ungivable_data_disk_formatted() {
  make_config 1
  IMMUTABLE_DATA_FILE=1 vm_start 1
  if wait_smw 1 '"event":"guest-up".*"data":"formatted"' && wait_smw 1 '"event":"replica-ready"' 1 "$REPLICA_WAIT_SECONDS"; then
    pass "ungivable_data_disk_formatted"
  else
    fail "ungivable_data_disk_formatted: got '$(cat "$RUN/r1/smw.lines" 2>/dev/null)'; console: $(grep -a 'rsmr-init' "$RUN/r1/console.log" | tail -3)"
  fi
  vm_stop 1
  check_data_disk_ext4 ungivable_data_disk_formatted
}

# The image mechanics any service relies on, shown with a stand-in Java service
# (test-service/EchoService, beside the real replica's tests): the service writes to
# io.rsmr.smw.0 after the init did, answers on the payload network, and the init restarts it
# when it dies and tells the agent.
test_service_supervised() {
  local img=$RUN/test-service-image classes=$RUN/test-service-classes addr
  addr=$(replica_addr 1)
  mkdir -p "$classes"
  javac -Xlint:all -Werror --release 17 -d "$classes" "$HERE/test-service/io/rsmr/vmtest/EchoService.java"
  jar --create --file "$RUN/test-service.jar" --main-class io.rsmr.vmtest.EchoService -C "$classes" .
  RSMR_IMAGE_OUT=$img RSMR_REPLICA_JAR=$RUN/test-service.jar "$HERE/build.sh" 2>/dev/null
  IMAGE=$img
  make_config 1 "$REPLICA_PORT"
  vm_start 1
  if wait_smw 1 '"event":"service-ready"'; then
    SERVICE_READY_MS=$WAITED_MS
    pass "service_ready_line (${WAITED_MS} ms from start: $LINE)"
  else
    fail "service_ready_line: none; console: $(tail -5 "$RUN/r1/console.log")"
  fi
  if [ "$(ask "$addr" "$REPLICA_PORT" hello)" = "echo hello" ]; then pass "service_answers_tcp"; else fail "service_answers_tcp"; fi
  check_replica_process 1 service
  ask "$addr" "$REPLICA_PORT" exit >/dev/null
  if wait_smw 1 '"event":"replica-exited","status":3,"restarts":1' 1 10; then pass "service_exit_reported ($LINE)"; else
    fail "service_exit_reported"
  fi
  if wait_smw 1 '"event":"service-ready"' 2 60 && [ "$(ask "$addr" "$REPLICA_PORT" again)" = "echo again" ]; then
    pass "service_restarted"
  else
    fail "service_restarted: $(cat "$RUN/r1/smw.lines")"
  fi
  vm_stop 1
  IMAGE=$OUT
}

# n replica VMs on the payload bridge; the host commits KV operations through them.
test_cluster_commits() { # n k k'
  local n=$1 i t0 out all_started=1 name="cluster_n$1_k$2"
  make_cluster_files "$@"
  t0=$(now_ms)
  for ((i = 1; i <= n; i++)); do make_config "$i"; vm_start "$i"; done
  local deadline_ms=$((t0 + n * CLUSTER_START_SECONDS_PER_REPLICA * 1000)) left
  for ((i = 1; i <= n; i++)); do
    left=$(((deadline_ms - $(now_ms)) / 1000))
    [ "$left" -gt 0 ] || left=1
    wait_console "$i" "$REPLICA_STARTED" 1 "$left" || { all_started=; fail "${name}_replica_${i}_started"; }
  done
  if [ -n "$all_started" ]; then
    CLUSTER_STARTED_MS[$n]=$(($(now_ms) - t0))
    pass "${name}_replicas_started (all $n in ${CLUSTER_STARTED_MS[$n]} ms from the first start)"
    if out=$(timeout 300 java -cp "$JAR:$TOOL_CLASSES" io.rsmr.vmtest.VmClusterTool kv \
      "$CLUSTER_DIR/cluster.yaml" "$KV_OPERATIONS" 2>&1); then
      CLUSTER_KV[$n]=$(echo "$out" | tail -n1)
      pass "${name}_commits_kv (n=$n k=$2 k'=$3: ${CLUSTER_KV[$n]})"
    else
      fail "${name}_commits_kv: $(echo "$out" | tail -5)"
    fi
  fi
  for ((i = 1; i <= n; i++)); do vm_stop "$i"; done
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

# Boots replica 1 N times, each from a fresh overlay: start -> guest's first line, start -> the
# replica's "replica-ready" line, and the JVM's part: from the init's "starting replica" console
# line (written just before it starts the JVM) to replica-ready.
bench_boots() { # [count]
  local count=${1:-${RSMR_BENCH_BOOTS:-3}}
  local i first=() started=() first_cpu=() started_cpu=() jvm=() jvm_cpu=() jvm_start_ms jvm_start_cpu
  LOAD_AT_BOOTS=$(cut -d' ' -f1-3 /proc/loadavg)
  make_config 1
  for ((i = 0; i < count; i++)); do
    vm_start 1
    if ! wait_smw 1 '"event":"guest-up"'; then fail "bench_boot $i: no first line"; vm_stop 1; return; fi
    first+=("$WAITED_MS")
    first_cpu+=("$(qemu_cpu_ms 1)")
    if ! wait_console 1 'rsmr-init: starting replica' 1 "$REPLICA_WAIT_SECONDS"; then
      fail "bench_boot $i: the init did not start the replica"; vm_stop 1; return
    fi
    jvm_start_ms=$WAITED_MS
    jvm_start_cpu=$(qemu_cpu_ms 1)
    if ! wait_smw 1 '"event":"replica-ready"' 1 "$REPLICA_WAIT_SECONDS"; then
      fail "bench_boot $i: no replica-ready line"; vm_stop 1; return
    fi
    started+=("$WAITED_MS")
    started_cpu+=("$(qemu_cpu_ms 1)")
    jvm+=($((WAITED_MS - jvm_start_ms)))
    jvm_cpu+=($((${started_cpu[-1]} - jvm_start_cpu)))
    vm_stop 1
  done
  JVM_MEDIAN_MS=$(printf '%s\n' "${jvm[@]}" | median)
  JVM_CPU_MEDIAN_MS=$(printf '%s\n' "${jvm_cpu[@]}" | median)
  BOOT_TIMES="${first[*]}"
  BOOT_MEDIAN_MS=$(printf '%s\n' "${first[@]}" | median)
  REPLICA_TIMES="${started[*]}"
  REPLICA_MEDIAN_MS=$(printf '%s\n' "${started[@]}" | median)
  BOOT_CPU_MEDIAN_MS=$(printf '%s\n' "${first_cpu[@]}" | median)
  REPLICA_CPU_MEDIAN_MS=$(printf '%s\n' "${started_cpu[@]}" | median)
  log "over $count boots: start -> first line median ${BOOT_MEDIAN_MS} ms (all: $BOOT_TIMES);" \
    "start -> replica-ready median ${REPLICA_MEDIAN_MS} ms (all: $REPLICA_TIMES);" \
    "QEMU CPU time to first line ${BOOT_CPU_MEDIAN_MS} ms, to replica-ready ${REPLICA_CPU_MEDIAN_MS} ms (medians);" \
    "JVM start -> replica-ready median ${JVM_MEDIAN_MS} ms, QEMU CPU ${JVM_CPU_MEDIAN_MS} ms"
}

# bench/vm-boot.md: the figures of this run, with the command, commit and machine.
write_bench() {
  local f=$REPO/bench/vm-boot.md mem_gib
  mem_gib=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
  mkdir -p "$REPO/bench"
  cat >"$f" <<EOB
# VM image: build and boot (vm-images/test.sh)

- command: \`RSMR_BENCH=1 RSMR_BENCH_BOOTS=${RSMR_BENCH_BOOTS:-3} vm-images/test.sh\`${RSMR_SKIP_BUILD:+ (with RSMR_SKIP_BUILD=1)}
- commit: $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- vm-images scripts || echo ' (vm-images/ or scripts/ modified)'); replica jar sha256 $(sha256sum "$JAR" | cut -c1-16)…
- machine: $(nproc) cores, ${mem_gib} GiB, domain type ${DOMAIN_TYPE} ($([ "$DOMAIN_TYPE" = qemu ] && echo "TCG, no KVM" || echo KVM)), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
- date: $(date -u +%Y-%m-%dT%H:%MZ); load average before the boots ${LOAD_AT_BOOTS}, after $(cut -d' ' -f1-3 /proc/loadavg) (TCG is CPU-bound: other work on the 2 shared cores slows boots)

| figure | value | goal |
| --- | --- | --- |
| start (virsh create) → guest's first line on io.rsmr.smw.0, median of ${RSMR_BENCH_BOOTS:-3} boots | ${BOOT_MEDIAN_MS} ms (all: ${BOOT_TIMES}) | — |
| start → the replica's "replica-ready" line on io.rsmr.smw.0, median of ${RSMR_BENCH_BOOTS:-3} boots | ${REPLICA_MEDIAN_MS} ms (all: ${REPLICA_TIMES}) | ≤ 10 s |
| QEMU CPU time (user + system) at the first line / at replica-ready, medians: what the boot costs, less dependent on load; the wall time above approaches it when a core is free | ${BOOT_CPU_MEDIAN_MS} ms / ${REPLICA_CPU_MEDIAN_MS} ms | — |
| of which the JVM's start: the init's "starting replica" console line → replica-ready, median wall / QEMU CPU | ${JVM_MEDIAN_MS} ms / ${JVM_CPU_MEDIAN_MS} ms | — |
| start → stand-in Java service's first line on io.rsmr.smw.0 | ${SERVICE_READY_MS:-not measured} ms | — |
| n = 4 (k = 0) VMs: first start → all replicas started | ${CLUSTER_STARTED_MS[4]:-not measured} ms | — |
| n = 4 (k = 0) VMs: $KV_OPERATIONS KV puts from the host, then gets | ${CLUSTER_KV[4]:-not measured} | — |
| n = 6 (k = k' = 1) VMs: first start → all replicas started | ${CLUSTER_STARTED_MS[6]:-not measured} ms | — |
| n = 6 (k = k' = 1) VMs: $KV_OPERATIONS KV puts from the host, then gets | ${CLUSTER_KV[6]:-not measured} | — |
| guest memory used with the replica running (MemTotal − MemAvailable) | ${GUEST_MEM_KIB:-not measured} KiB of ${MEMORY_MIB} MiB | ≤ 256 MiB |
| QEMU RSS on the host (TCG code cache ${TCG_CODE_CACHE_MIB} MiB) | ${QEMU_RSS_KIB:-not measured} KiB | — |
| root image (root.img) | $(stat -c %s "$OUT/root.img") bytes | ≤ 120 MB |
| initramfs.img, vmlinuz | $(stat -c %s "$OUT/initramfs.img"), $(stat -c %s "$OUT/vmlinuz") bytes | — |
| build time (build.sh, Debian packages cached) | ${BUILD_SECONDS:-not measured (RSMR_SKIP_BUILD)} s | ≤ 5 min |
| digests of two consecutive builds | ${REPRODUCIBLE:-not checked (RSMR_SKIP_BUILD)} | identical |

Digests (manifest.json):

\`\`\`
$(grep '"sha256"' "$OUT/manifest.json" | sed 's/^ *//')
\`\`\`

$(grep '"cdsArchive"' "$OUT/manifest.json" | sed 's/^ *//')

Before the CDS archive (image of commit 2ffefe1, same machine, \`RSMR_SKIP_BUILD=1 RSMR_ONLY="bench_boots 3"
vm-images/test.sh\`, 2026-11-24T15:44Z, load average 0.14 0.67 2.32): start → replica-ready median
11057 ms (all: 14123 10703 11057), QEMU CPU time at the first line / at replica-ready 2650 ms / 11110 ms.
The previous recorded run (commit 010c85c, load 9.7–25.5): 21902 ms wall, 2790 ms / 11870 ms CPU.
Wall times in this file depend on the load average above; compare the QEMU CPU times.
EOB
  log "wrote $f"
}

setup() {
  [ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
  [ -f "$JAR" ] || { log "no replica jar at $JAR: mvn -B -q -pl replica-app -am package -DskipTests"; exit 1; }
  chmod 755 "$RUN"
  "$REPO/scripts/libvirt-up.sh"
  "$REPO/scripts/net-up.sh" "$BRIDGE" "$HOST_ADDR/24"
}

finish() {
  echo "vm-test: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

main() {
  setup
  [ -n "${RSMR_SKIP_BUILD:-}" ] || test_reproducible_build
  CMDLINE="$("$HERE/host-cmdline.sh" "$OUT/manifest.json")${RSMR_EXTRA_CMDLINE:+ $RSMR_EXTRA_CMDLINE}"
  # The single-VM tests boot replica 1 of the first cluster.
  make_cluster_files ${CLUSTERS[0]}
  if [ -n "${RSMR_ONLY:-}" ]; then
    $RSMR_ONLY
    finish
    return
  fi
  test_manifest_chunks
  test_one_replica_vm
  bench_boots "${RSMR_BENCH_BOOTS:-3}"
  test_bad_config_disk_reported
  test_guest_cannot_reach_management
  test_blank_data_disk_formatted
  test_ungivable_data_disk_formatted
  test_service_supervised
  local c
  for c in "${CLUSTERS[@]}"; do test_cluster_commits $c; done
  [ -z "${RSMR_BENCH:-}" ] || write_bench
  finish
}

main "$@"
