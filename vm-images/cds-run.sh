#!/bin/sh
# Runs the image's own Java runtime inside the image's root tree, for build.sh's class-data-sharing
# (CDS) archive; see README.md ("CDS archive"). build.sh starts it in fresh mount, PID and network
# namespaces (unshare), so every mount below disappears with it and the replica's training run
# can reach nothing but its own loopback. The root tree is left as it was, except for the archive
# that `dump` writes.
#   cds-run.sh train ROOT CLUSTER_DIR CLASS_LIST_OUT SECONDS_MAX HOLD_SECONDS JVM_OPTION...
#     starts replica 1 of the cluster in CLUSTER_DIR (files written by VmClusterTool create) as the
#     guest init does, waits for its replica-ready line, lets it run HOLD_SECONDS more, stops it,
#     and writes the classes it loaded (-XX:DumpLoadedClassList) to CLASS_LIST_OUT.
#   cds-run.sh dump ROOT CLASS_LIST ARCHIVE JVM_OPTION...
#     writes the static CDS archive ARCHIVE (a path inside ROOT) of the classes in CLASS_LIST, in
#     the interpreter only (no compiler threads), then checks that the JVM runs the replica with
#     it and these options.
# Paths inside the root are the guest's: the archive records the jar's path, size and mtime, and
# the JVM uses the archive only when they match at run time.
set -eu

readonly JAR=/opt/rsmr/rsmr-replica.jar
readonly JAVA=/opt/java/bin/java
readonly DEVICES="null zero random urandom"

die() { echo "cds-run: $*" >&2; exit 1; }

# The guest's view: tmpfs on /tmp and /dev (with the host's devices the JVM opens), /proc.
enter_root() { # root
  mount -t tmpfs -o mode=1777 tmpfs "$1/tmp"
  mount -t tmpfs -o mode=0755 tmpfs "$1/dev"
  mount -t proc proc "$1/proc"
  for d in $DEVICES; do
    : >"$1/dev/$d"
    mount --bind "/dev/$d" "$1/dev/$d"
  done
}

# Replaces the calling (sub)shell with the command run in the root, in a fixed, minimal
# environment: nothing of the build host's leaks into the run or the archive. Run in the
# background, the job's pid is then the JVM's own, which `kill` and `wait` need.
in_root() { # root command...
  local root=$1
  shift
  exec chroot "$root" /bin/env -i PATH=/bin TZ=UTC LC_ALL=C "$@"
}

train() { # root cluster-dir class-list-out seconds-max hold-seconds jvm-option...
  local root=$1 cluster=$2 list_out=$3 seconds_max=$4 hold=$5 pid tenths=0
  shift 5
  ip link set lo up
  enter_root "$root"
  mkdir -p "$root/tmp/config" "$root/tmp/data"
  cp "$cluster/cluster.yaml" "$cluster/operator.pub" "$cluster"/agent-h*.pub "$root/tmp/config/"
  cp "$cluster/replica-1.key" "$root/tmp/config/replica.identity"
  in_root "$root" "$JAVA" "$@" -XX:DumpLoadedClassList=/tmp/classes.lst -jar "$JAR" \
    --config /tmp/config/cluster.yaml --id 1 --identity /tmp/config/replica.identity --data-dir /tmp/data \
    --report-to /tmp/report >"$root/tmp/replica.log" 2>&1 &
  pid=$!
  until grep -q '"event":"replica-ready"' "$root/tmp/report" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "the training replica exited before replica-ready: $(tail -5 "$root/tmp/replica.log")"
    tenths=$((tenths + 1))
    [ "$tenths" -le $((seconds_max * 10)) ] || { kill "$pid"; die "no replica-ready within ${seconds_max}s"; }
    sleep 0.1
  done
  sleep "$hold"
  # The replica stops on SIGTERM (its shutdown hook, exit status 143) and the list is complete.
  kill -TERM "$pid"
  wait "$pid" || true
  cp "$root/tmp/classes.lst" "$list_out"
}

dump() { # root class-list archive jvm-option...
  local root=$1 list=$2 archive=$3
  shift 3
  enter_root "$root"
  cp "$list" "$root/tmp/classes.lst"
  (cd "$root" && in_root "$root" "$JAVA" "$@" -Xint -Xshare:dump -XX:SharedClassListFile=/tmp/classes.lst \
    -XX:SharedArchiveFile="$archive" -cp "$JAR") >"$root/tmp/dump.log" 2>&1 \
    || die "the CDS dump failed: $(tail -5 "$root/tmp/dump.log")"
  # The JVM must accept the archive with this jar (-Xshare:on fails loudly when it does not); the
  # replica without arguments prints its usage and exits 2.
  (in_root "$root" "$JAVA" "$@" -Xshare:on -XX:SharedArchiveFile="$archive" -jar "$JAR") >"$root/tmp/check.log" 2>&1 || true
  grep -q '^usage: rsmr-replica' "$root/tmp/check.log" || die "the JVM does not run the replica with the archive: $(head -5 "$root/tmp/check.log")"
}

[ $# -ge 1 ] || die "usage: cds-run.sh train|dump ..."
command=$1
shift
case "$command" in
  train) [ $# -ge 5 ] || die "usage: cds-run.sh train ROOT CLUSTER_DIR CLASS_LIST_OUT SECONDS_MAX HOLD_SECONDS JVM_OPTION..."; train "$@" ;;
  dump) [ $# -ge 3 ] || die "usage: cds-run.sh dump ROOT CLASS_LIST ARCHIVE JVM_OPTION..."; dump "$@" ;;
  *) die "unknown command '$command' (train or dump)" ;;
esac
