#!/usr/bin/env bash
# mkroot.sh [--systemd] ARCH: make sure a cached minimal Debian bookworm root
# for ARCH (amd64, arm64, armhf) exists, and print the path of its tarball.
#
# The root is built once with debootstrap --variant=minbase (plus adduser,
# the package's only dependency outside the Essential set) and cached as
# ${BAYLINGD_ROOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/baylingd/roots}/bookworm-ARCH.tar.zst,
# outside the checkout. Delete the file to rebuild it. Foreign architectures
# run through qemu-user-static and binfmt_misc (see binfmt.sh).
# --systemd adds systemd (as init), dbus and procps, for booting the root
# with systemd-nspawn: bookworm-ARCH-systemd.tar.zst.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
flavour=
if [ "${1:-}" = --systemd ]; then flavour=-systemd; shift; fi
arch=${1:?usage: mkroot.sh [--systemd] ARCH}
suite=${BAYLINGD_ROOT_SUITE:-bookworm}
mirror=${BAYLINGD_ROOT_MIRROR:-http://deb.debian.org/debian}
cache=${BAYLINGD_ROOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/baylingd/roots}
tarball=$cache/$suite-$arch$flavour.tar.zst
# Bump when the recipe below changes, so stale caches are rebuilt.
recipe=2
if [ -f "$tarball" ] && [ "$(cat "$tarball.recipe" 2>/dev/null)" = "$recipe" ]; then
	echo "$tarball"
	exit 0
fi

for t in debootstrap zstd tar; do
	command -v $t >/dev/null || { echo "mkroot: $t is missing (apt-get install debootstrap zstd)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "mkroot: debootstrap needs root" >&2; exit 1; }

mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/baylingd-mkroot.XXXXXX")
cleanup() {
	for m in proc sys dev/pts dev; do mountpoint -q "$work/root/$m" 2>/dev/null && umount -l "$work/root/$m" || true; done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
start=$(date +%s)
host=$(dpkg --print-architecture)
include=adduser
[ -n "$flavour" ] && include=$include,systemd,systemd-sysv,dbus,procps
opts=(--variant=minbase --include="$include" --arch="$arch")
if [ "$arch" = "$host" ]; then
	echo "mkroot: debootstrap $suite/$arch (minbase) ..." >&2
	debootstrap "${opts[@]}" "$suite" "$work/root" "$mirror" >"$work/log" 2>&1 || { tail -30 "$work/log" >&2; exit 1; }
else
	"$here/binfmt.sh" "$arch"
	echo "mkroot: debootstrap --foreign $suite/$arch (minbase) + second stage under qemu ..." >&2
	debootstrap --foreign "${opts[@]}" "$suite" "$work/root" "$mirror" >"$work/log" 2>&1 || { tail -30 "$work/log" >&2; exit 1; }
	# With the binfmt F (fix-binary) flag the emulator is already open in
	# the kernel; without it the chroot needs its own copy.
	if ! grep -q '^flags:.*F' "/proc/sys/fs/binfmt_misc/$("$here/binfmt.sh" --name "$arch")"; then
		q=$(command -v "qemu-$("$here/binfmt.sh" --qemu "$arch")-static")
		install -D "$q" "$work/root$q"
	fi
	chroot "$work/root" /debootstrap/debootstrap --second-stage >"$work/log" 2>&1 || { tail -30 "$work/log" >&2; exit 1; }
fi
# Trim what the tests never need, so the cached tarball stays small.
rm -rf "$work/root"/var/cache/apt/archives/*.deb "$work/root"/var/lib/apt/lists/* \
	"$work/root"/usr/share/doc/* "$work/root"/usr/share/man/* "$work/root"/usr/share/locale/*
tar --numeric-owner --xattrs -C "$work/root" -cf - . | zstd -q -T0 -10 -o "$tarball.tmp"
mv "$tarball.tmp" "$tarball"
echo "$recipe" >"$tarball.recipe"
echo "mkroot: $tarball ($(du -h "$tarball" | cut -f1)) in $(( $(date +%s) - start ))s" >&2
echo "$tarball"
