#!/bin/bash
# Builds the replica VM image from Debian packages and this repository only, reproducibly:
#   out/vmlinuz        Debian's cloud kernel, as shipped in its package
#   out/initramfs.img  busybox-static + the virtio and squashfs modules + initramfs/init
#   out/root.img      read-only root: busybox, a jlink Java runtime with the glibc libraries it
#                      links, the replica jar, the replica's class-data-sharing (CDS) archive,
#                      and rootfs/ (the guest init)
#   out/manifest.json  SHA-256 and size of each file and of its 4 MiB chunks, the kernel command line,
#                      and the build inputs
# Two builds from the same inputs give the same bytes: fixed times (SOURCE_DATE_EPOCH), owners and
# modes, sorted archives. See README.md. Idempotent: every run rebuilds out/ from its inputs.
#
# Inputs (environment, all optional):
#   RSMR_REPLICA_JAR   the replica jar (default replica-app/target/rsmr-replica.jar)
#   RSMR_KERNEL_META   the Debian package that names the kernel (default linux-image-cloud-amd64)
#   RSMR_JDK_HOME      the JDK whose jlink and jmods make the runtime (default: Debian's JDK 17)
#   SOURCE_DATE_EPOCH  the time stamped on every file (default: a constant, so that the digests
#                      depend on the inputs' contents only, not on when they were committed)
#   RSMR_IMAGE_OUT     output directory (default vm-images/out)
#   RSMR_DEB_CACHE     where downloaded Debian packages are kept (default vm-images/out/cache)
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC

readonly HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly REPO=$(dirname "$HERE")
readonly OUT=${RSMR_IMAGE_OUT:-$HERE/out}
readonly JAR=${RSMR_REPLICA_JAR:-$REPO/replica-app/target/rsmr-replica.jar}
readonly KERNEL_META=${RSMR_KERNEL_META:-linux-image-cloud-amd64}
readonly JDK_HOME=${RSMR_JDK_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
readonly WORK=$OUT/work
readonly CACHE=${RSMR_DEB_CACHE:-$HERE/out/cache}
readonly BUILD_PACKAGES=(squashfs-tools cpio dpkg-dev util-linux)
# Modules the initramfs loads, dependencies resolved at build time from each module's modinfo.
readonly INITRAMFS_MODULES=(virtio_pci virtio_blk virtio_net virtio_console virtio-rng squashfs)
# The base of the guest kernel's command line; the host that runs the guest appends the clock fix
# tsc_early_khz=<its MHz x 1000> (see host-cmdline.sh and README.md), which is host-specific.
readonly KERNEL_CMDLINE="console=ttyS0 quiet acpi=off panic=-1"
readonly ROOT_SQUASHFS_BLOCK_BYTES=131072
readonly SDE=${SOURCE_DATE_EPOCH:-1767225600} # 2026-01-01T00:00:00Z
# The CDS archive (README.md, "CDS archive"): made for jars whose Main-Class is the replica's, by a
# training run of the replica's start path inside the image's root tree.
readonly CDS_ARCHIVE=/opt/rsmr/rsmr-replica.jsa
readonly CDS_TRAINED_MAIN_CLASS=io.rsmr.replica.node.ReplicaMain
readonly CDS_TRAINING_SECONDS_MAX=120
# After replica-ready the training replica runs this long more, so that the classes of its first
# steady-state steps (connection retries, the status writer) are archived too.
readonly CDS_TRAINING_HOLD_SECONDS=2

log() { echo "build: $*" >&2; }
die() { echo "build: ERROR: $*" >&2; exit 1; }

check_inputs() {
  [ -f "$JAR" ] || die "no replica jar at $JAR: build it first (mvn -B -q -pl replica-app -am package -DskipTests) or set RSMR_REPLICA_JAR"
  [ -x "$JDK_HOME/bin/jlink" ] || die "no jlink in $JDK_HOME (set RSMR_JDK_HOME to a JDK 17)"
  "$JDK_HOME/bin/jar" tf "$JAR" >/dev/null 2>&1 || die "replica jar $JAR is not a valid jar"
  [ -n "$(jar_main_class)" ] || die "replica jar $JAR has no Main-Class in its manifest (java -jar cannot run it)"
  [ -d "$JDK_HOME/jmods" ] || die "no jmods in $JDK_HOME: install the JDK's jmods (openjdk-17-jdk-headless)"
  local missing=() p
  for p in "${BUILD_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing build tools: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } \
      || die "cannot install ${missing[*]}"
  fi
}

jar_main_class() { # prints the jar's Main-Class, nothing when it has none
  local dir
  dir=$(mktemp -d)
  (cd "$dir" && "$JDK_HOME/bin/jar" xf "$JAR" META-INF/MANIFEST.MF 2>/dev/null) || true
  sed -n 's/^Main-Class: *\([^[:space:]]*\).*/\1/p' "$dir/META-INF/MANIFEST.MF" 2>/dev/null || true
  rm -rf "$dir"
}

candidate_version() { # package -> version apt would install
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'
}

# Downloads a Debian package once into the cache (kept across builds) and prints its path.
fetch_deb() { # package version
  local dir="$CACHE/$1=$2"
  if ! ls "$dir"/*.deb >/dev/null 2>&1; then
    rm -rf "$dir" && mkdir -p "$dir"
    chown _apt "$dir" 2>/dev/null || true
    (cd "$dir" && apt-get download -q "$1=$2" >/dev/null 2>&1) || die "apt-get download $1=$2 failed"
  fi
  ls "$dir"/*.deb
}

resolve_kernel_package() {
  local pkg
  [ -n "$(candidate_version "$KERNEL_META")" ] || apt-get update -q >/dev/null 2>&1
  pkg=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || die "cannot resolve the kernel package that $KERNEL_META depends on"
  echo "$pkg"
}

# Prints the modules in load order: every module after the modules it depends on.
module_load_order() { # modules-dir module...
  local dir=$1; shift
  local -A seen=()
  visit() {
    local m=$1 f deps d
    [ -n "${seen[$m]:-}" ] && return 0
    seen[$m]=1
    f=$(find "$dir" -name "$m.ko" -print -quit)
    [ -n "$f" ] || f=$(find "$dir" -name "${m//_/-}.ko" -print -quit)
    [ -n "$f" ] || die "kernel module $m not found in the kernel package"
    deps=$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ',' ' ')
    for d in $deps; do visit "$d"; done
    echo "$f"
  }
  local m
  for m in "$@"; do visit "$m"; done
}

normalize_tree() { # dir: fixed mtimes; modes are set where files are made, under umask 022
  find "$1" -exec touch -h -d "@$SDE" {} +
}

build_kernel_and_modules() {
  local deb
  deb=$(fetch_deb "$KERNEL_PKG" "$KERNEL_VERSION")
  mkdir -p "$WORK/kernel"
  dpkg-deb -x "$deb" "$WORK/kernel"
  cp "$WORK/kernel/boot/vmlinuz-"* "$OUT/vmlinuz"
}

build_busybox() {
  local deb
  deb=$(fetch_deb busybox-static "$BUSYBOX_VERSION")
  mkdir -p "$WORK/busybox"
  dpkg-deb -x "$deb" "$WORK/busybox"
  [ -x "$WORK/busybox/bin/busybox" ] || die "busybox-static has no bin/busybox"
}

install_busybox() { # root
  mkdir -p "$1/bin" "$1/sbin"
  cp "$WORK/busybox/bin/busybox" "$1/bin/busybox"
  local applet
  for applet in $("$WORK/busybox/bin/busybox" --list | sort); do
    [ -e "$1/bin/$applet" ] || [ -e "$1/sbin/$applet" ] || ln -s busybox "$1/bin/$applet"
  done
}

# e2fsprogs' mke2fs, so that the guest's own format of a bad data disk makes journaled ext4 like the
# host's first format (busybox's mke2fs makes ext2 without a journal). Debian's packages, unpacked;
# its libraries go where Debian puts them, which the guest's loader searches by default.
readonly E2FS_PACKAGES=(e2fsprogs libext2fs2 libcom-err2 libblkid1 libuuid1)
install_mke2fs() { # root
  local root=$1 pkg dir=$WORK/e2fs lib name
  for pkg in "${E2FS_PACKAGES[@]}"; do
    dpkg-deb -x "$(fetch_deb "$pkg" "$(e2fs_version "$pkg")")" "$dir"
  done
  mkdir -p "$root/sbin" "$root/etc"
  cp "$dir/sbin/mke2fs" "$root/sbin/mke2fs"
  cp "$dir/etc/mke2fs.conf" "$root/etc/mke2fs.conf"
  for name in libext2fs.so.2 libe2p.so.2 libcom_err.so.2 libblkid.so.1 libuuid.so.1; do
    lib=$(cd "$dir" && find lib usr/lib -name "$name" 2>/dev/null | head -n1)
    [ -n "$lib" ] || die "no $name in the packages ${E2FS_PACKAGES[*]}"
    mkdir -p "$root/$(dirname "$lib")"
    cp -L "$dir/$lib" "$root/$lib"
  done
}

e2fs_version() { # package: the version recorded in the manifest's inputs
  local v
  v=$(candidate_version "$1")
  [ -n "$v" ] || die "apt knows no version of $1"
  echo "$v"
}

build_initramfs() {
  local root=$WORK/initramfs f modules
  # A command substitution, not a process substitution: a missing module must stop the build.
  modules=$(module_load_order "$WORK/kernel/lib/modules" "${INITRAMFS_MODULES[@]}")
  mkdir -p "$root"/{dev,proc,sys,newroot,etc,lib/modules}
  mknod -m 600 "$root/dev/console" c 5 1
  install_busybox "$root"
  install -m 755 "$HERE/initramfs/init" "$root/init"
  : >"$root/etc/rsmr-modules"
  while read -r f; do
    cp "$f" "$root/lib/modules/"
    basename "$f" .ko >>"$root/etc/rsmr-modules"
  done <<<"$modules"
  normalize_tree "$root"
  (cd "$root" && find . -print0 | sort -z | cpio --null --create --format=newc --reproducible \
    --owner=0:0 --quiet) >"$OUT/initramfs.img"
}

# jdeps looks at the project's own classes only: bundled libraries reference optional JDK modules
# (Bouncy Castle: java.naming for LDAP stores, java.sql, java.desktop) on paths the replica never
# takes. A class the replica does need from a missing module fails the VM test (test.sh), loudly.
jdk_modules() {
  { grep -v '^#' "$HERE/jdk-modules.txt"
    "$JDK_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 -include 'io\.rsmr\..*' "$JAR" | tr ',' '\n'
  } | sed '/^$/d' | sort -u | paste -sd, -
}

# Copies every shared library the runtime's ELF files need, at the path ldd resolves it to.
install_glibc_libraries() { # root
  local lib
  find "$1/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0 \
    | xargs -0 ldd 2>/dev/null \
    | awk '/=> \// {print $3} /^[ \t]*\/[^ ]+ \(/ {print $1}' | sort -u \
    | while read -r lib; do
        case "$lib" in "$1"/*) continue ;; esac
        mkdir -p "$1$(dirname "$lib")"
        cp -L "$lib" "$1$lib"
      done
}

build_root() {
  local root=$WORK/root
  mkdir -p "$root"/{dev,proc,sys,tmp,run,config,data,root,opt/rsmr,etc}
  install_mke2fs "$root" # before busybox, whose applet links skip what exists
  install_busybox "$root"
  cp -r "$HERE/rootfs/." "$root/"
  chmod 755 "$root/sbin/init"
  ln -s ../run/hosts "$root/etc/hosts"
  JDK_MODULES=$(jdk_modules)
  "$JDK_HOME/bin/jlink" --add-modules "$JDK_MODULES" --output "$root/opt/java" \
    --strip-debug --no-header-files --no-man-pages
  install_glibc_libraries "$root"
  chroot "$root" /sbin/mke2fs -V >/dev/null 2>&1 || die "e2fsprogs' mke2fs does not run in the root image (a library missing?)"
  cp "$JAR" "$root/opt/rsmr/rsmr-replica.jar"
  chmod -R u+rwX,go+rX,go-w "$root"
  normalize_tree "$root" # the CDS archive records the jar's mtime: it must be the image's already
  build_cds_archive "$root"
  # The build inputs, so that a guest's console and a running image tell what they are.
  manifest_inputs >"$root/etc/rsmr-image.json"
  chmod -R u+rwX,go+rX,go-w "$root"
  normalize_tree "$root"
  mksquashfs "$root" "$OUT/root.img" -noappend -reproducible -all-root -mkfs-time "$SDE" \
    -all-time "$SDE" -comp lz4 -Xhc -b "$ROOT_SQUASHFS_BLOCK_BYTES" -quiet -no-progress >/dev/null
}

# The JVM options the guest init uses when the config disk names none: the training run and the
# dump use the same ones.
guest_jvm_options() {
  sed -n 's/^readonly DEFAULT_JVM_OPTIONS="\(.*\)"$/\1/p' "$HERE/rootfs/sbin/init"
}

# A static CDS archive of the classes the replica loads from its start to shortly after
# replica-ready, for the image's own JVM and jar at their guest paths. Two builds give the same
# bytes (test.sh's reproducible_build checks it): the class list is sorted (the training run's
# load order varies with its threads), and the dump runs with address-space randomization off
# (setarch -R), on one CPU, with its threads under SCHED_FIFO so that they run in one fixed order
# (taskset, chrt): JDK 17 orders the archive's symbols by their memory addresses, and those depend
# on where the heap lies and on which of the JVM's threads allocated first. See README.md.
build_cds_archive() { # root
  local root=$1 dir=$WORK/cds main opts
  main=$(jar_main_class)
  if [ "$main" != "$CDS_TRAINED_MAIN_CLASS" ]; then
    log "no CDS training for Main-Class $main (only for $CDS_TRAINED_MAIN_CLASS): image without a CDS archive"
    CDS_STATE="none (Main-Class $main)"
    return 0
  fi
  opts=$(guest_jvm_options)
  [ -n "$opts" ] || die "no DEFAULT_JVM_OPTIONS in $HERE/rootfs/sbin/init"
  mkdir -p "$dir/tool"
  # A throwaway 4-replica cluster (keys, identities, config), written by replica-app's own code.
  "$JDK_HOME/bin/javac" -Xlint:all -Werror --release 17 -cp "$JAR" -d "$dir/tool" \
    "$HERE/test-service/io/rsmr/vmtest/VmClusterTool.java"
  "$JDK_HOME/bin/java" -cp "$JAR:$dir/tool" io.rsmr.vmtest.VmClusterTool create "$dir/cluster" 4 0 1
  # shellcheck disable=SC2086 # the options are words
  unshare --mount --net --pid --fork --kill-child "$HERE/cds-run.sh" train "$root" "$dir/cluster" \
    "$dir/classes.raw" "$CDS_TRAINING_SECONDS_MAX" "$CDS_TRAINING_HOLD_SECONDS" $opts
  # Sorted; without comments and dynamic proxies (generated at run time, numbered in creation order).
  grep -v -e '^#' -e '\$Proxy[0-9]' "$dir/classes.raw" | sort >"$dir/classes.lst"
  cp "$dir/classes.lst" "$OUT/cds-classes.txt" # what the archive holds, for the operator
  # shellcheck disable=SC2086
  taskset -c "$(first_cpu)" chrt --fifo 1 setarch "$(uname -m)" -R \
    unshare --mount --pid --fork --kill-child "$HERE/cds-run.sh" dump "$root" "$dir/classes.lst" "$CDS_ARCHIVE" $opts \
    || die "the CDS dump failed (it needs SCHED_FIFO and namespaces: run build.sh as root)"
  CDS_STATE="$CDS_ARCHIVE, $(grep -vc '^@' "$dir/classes.lst") classes"
  log "CDS archive: $CDS_STATE, $(stat -c %s "$root$CDS_ARCHIVE") bytes"
}

first_cpu() { # the first CPU this process may run on
  taskset -pc $$ | sed 's/.*: *//; s/[-,].*//'
}

package_version() { dpkg-query -W -f='${Version}' "$1"; }

jdk_package() { # the Debian package that ships the jmods used, with its version
  local pkg
  pkg=$(dpkg -S "$(readlink -f "$JDK_HOME/jmods/java.base.jmod")" 2>/dev/null | cut -d: -f1) || true
  if [ -n "$pkg" ]; then echo "$pkg $(package_version "$pkg")"; else echo "not from a Debian package: $JDK_HOME"; fi
}

manifest_inputs() {
  local jar_sha jar_bytes
  jar_sha=$(sha256sum "$JAR" | cut -d' ' -f1)
  jar_bytes=$(stat -c %s "$JAR")
  cat <<EOF
{
  "kernelPackage": "$KERNEL_PKG",
  "kernelPackageVersion": "$KERNEL_VERSION",
  "busyboxPackageVersion": "$BUSYBOX_VERSION",
  "e2fsprogsPackageVersion": "$(e2fs_version e2fsprogs)",
  "jdk": "$(cat "$JDK_HOME/release" | sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p')",
  "jdkPackage": "$(jdk_package)",
  "jdkModules": "$JDK_MODULES",
  "libc6PackageVersion": "$(package_version libc6)",
  "replicaJar": {"sha256": "$jar_sha", "bytes": $jar_bytes},
  "cdsArchive": "$CDS_STATE",
  "sourceDateEpoch": $SDE
}
EOF
}

# The agent checks a golden file by the SHA-256 of each CHUNK_BYTES chunk, hashed on all cores
# (common/.../image/ChunkedDigest.java says why 4 MiB). The whole-file SHA-256 stays for people.
readonly CHUNK_BYTES=$((4 << 20))

chunk_digests() { # file: one SHA-256 per chunk, in order (none for an empty file)
  split -b "$CHUNK_BYTES" --filter='sha256sum' "$1" | cut -d' ' -f1
}

chunk_root() { # bytes, then the chunk digests on stdin: SHA-256 of the text ChunkedDigest.Chunks.root() defines
  { printf 'rsmr-chunked-sha256 1\nchunkBytes=%d\nbytes=%d\n' "$CHUNK_BYTES" "$1"; cat; } | sha256sum | cut -d' ' -f1
}

file_entry() { # name: the entry of one golden file, one chunk digest per line
  local f=$OUT/$1 bytes chunks root
  bytes=$(stat -c %s "$f")
  chunks=$(chunk_digests "$f")
  if [ -n "$chunks" ]; then root=$(printf '%s\n' "$chunks" | chunk_root "$bytes"); else root=$(chunk_root "$bytes" </dev/null); fi
  printf '    "%s": {"sha256": "%s", "bytes": %s,\n' "$1" "$(sha256sum "$f" | cut -d' ' -f1)" "$bytes"
  printf '      "chunkBytes": %s, "chunkRoot": "%s", "chunks": [' "$CHUNK_BYTES" "$root"
  [ -z "$chunks" ] || printf '\n%s\n      ' "$(sed 's/.*/        "&"/; $!s/$/,/' <<<"$chunks")"
  printf ']}'
}

write_manifest() {
  {
    echo '{'
    echo '  "format": "rsmr-image-manifest 2",'
    echo '  "files": {'
    file_entry vmlinuz; echo ','
    file_entry initramfs.img; echo ','
    file_entry root.img; echo
    echo '  },'
    echo "  \"kernelCmdline\": \"$KERNEL_CMDLINE\","
    echo "  \"inputs\": $(manifest_inputs | sed '2,$s/^/  /')"
    echo '}'
  } >"$OUT/manifest.json"
}

main() {
  local started=$SECONDS
  check_inputs
  KERNEL_PKG=$(resolve_kernel_package)
  KERNEL_VERSION=$(candidate_version "$KERNEL_PKG")
  BUSYBOX_VERSION=$(candidate_version busybox-static)
  [ -n "$KERNEL_VERSION" ] && [ -n "$BUSYBOX_VERSION" ] || die "apt knows no version of $KERNEL_PKG or busybox-static"
  rm -rf "$WORK" "$OUT/vmlinuz" "$OUT/initramfs.img" "$OUT/root.img" "$OUT/manifest.json" "$OUT/cds-classes.txt"
  mkdir -p "$WORK" "$CACHE"
  log "kernel $KERNEL_PKG $KERNEL_VERSION, busybox $BUSYBOX_VERSION, jar $JAR, SOURCE_DATE_EPOCH=$SDE"
  build_kernel_and_modules
  build_busybox
  build_initramfs
  build_root
  write_manifest
  rm -rf "$WORK"
  # libvirt runs QEMU as libvirt-qemu: every directory on the way to the images must be traversable.
  chmod 755 "$OUT"
  chmod 644 "$OUT/vmlinuz" "$OUT/initramfs.img" "$OUT/root.img" "$OUT/manifest.json"
  log "done in $((SECONDS - started))s: $(du -h "$OUT/root.img" | cut -f1) root image; $OUT/manifest.json"
}

main "$@"
