#!/bin/bash
# Makes the per-boot config disk of a replica VM from a staging directory: an ext4 image (no
# journal) that the guest mounts read-only at /config. The layout is in README.md ("Config disk").
# The host writes a new one before every boot; it holds the replica's private key, so the image
# is created 0600 and replaced atomically. In the disk, everything belongs to root and the guest's
# group rsmr, readable by that group only: the replica runs as user rsmr (rootfs/sbin/init).
# Run it as root (it sets the files' owner).
# Usage: make-config-disk.sh <staging-dir> <image>
set -euo pipefail

readonly FORMAT="rsmr-config 1"
readonly REQUIRED_FILES=(format replica-id epoch payload-address replica-args)
readonly MIN_BYTES=$((1024 * 1024))
readonly MAX_BYTES=$((64 * 1024 * 1024))
# The group rsmr of the guest image (vm-images/rootfs/etc/group).
readonly GUEST_GROUP_ID=100

die() { echo "make-config-disk: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: make-config-disk.sh <staging-dir> <image>"
readonly SRC=$1 IMG=$2
[ -d "$SRC" ] || die "staging directory $SRC does not exist"

for f in "${REQUIRED_FILES[@]}"; do
  [ -f "$SRC/$f" ] || die "staging directory $SRC lacks the file '$f'"
done
[ "$(cat "$SRC/format")" = "$FORMAT" ] || die "$SRC/format must contain '$FORMAT'"
for f in replica-id epoch; do
  grep -Eqx '[0-9]+' "$SRC/$f" || die "$SRC/$f must hold a non-negative decimal number, holds '$(head -c 40 "$SRC/$f")'"
done
grep -Eqx '([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}' "$SRC/payload-address" \
  || die "$SRC/payload-address must hold an IPv4 address with prefix (e.g. 198.18.0.11/24), holds '$(head -c 40 "$SRC/payload-address")'"

content_kib=$(du -sk --apparent-size "$SRC" | cut -f1)
bytes=$(( (content_kib * 2 + 512) * 1024 ))
[ "$bytes" -ge "$MIN_BYTES" ] || bytes=$MIN_BYTES
[ "$bytes" -le "$MAX_BYTES" ] || die "staging directory $SRC is too large ($content_kib KiB) for a config disk"

[ "$(id -u)" -eq 0 ] || die "must run as root: the disk's files belong to root and the guest's group $GUEST_GROUP_ID"
tmp="$IMG.tmp.$$"
copy="$IMG.src.$$"
trap 'rm -rf "$tmp" "$copy"' EXIT
(umask 077 && : >"$tmp" && mkdir "$copy")
# A copy with the guest's owners and modes (mke2fs -d takes them from the files): nothing else of
# the staging directory's owners or modes reaches the guest.
cp -R "$SRC/." "$copy/"
chown -R "0:$GUEST_GROUP_ID" "$copy"
chmod -R u=rX,g=rX,o= "$copy"
mke2fs -q -F -t ext4 -O ^has_journal,^resize_inode -m 0 -b 1024 -L rsmr-config -E "root_owner=0:$GUEST_GROUP_ID" \
  -d "$copy" "$tmp" "$((bytes / 1024))k" || die "mke2fs failed for $SRC"
mv -f "$tmp" "$IMG"
rm -rf "$copy"
trap - EXIT
