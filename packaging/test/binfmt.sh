#!/usr/bin/env bash
# binfmt.sh ARCH: make sure binaries of Debian architecture ARCH can run on
# this machine: nothing to do for the host's own architecture; otherwise mount
# binfmt_misc if it is not mounted and enable the qemu-user-static handler.
#   binfmt.sh --name ARCH   print the binfmt_misc entry name (qemu-aarch64)
#   binfmt.sh --qemu ARCH   print the qemu target name (aarch64)
set -euo pipefail
mode=run
case "${1:-}" in --name|--qemu) mode=${1#--}; shift ;; esac
arch=${1:?usage: binfmt.sh [--name|--qemu] ARCH}
case "$arch" in
	arm64) q=aarch64 ;;
	armhf|armel) q=arm ;;
	amd64) q=x86_64 ;;
	i386) q=i386 ;;
	riscv64) q=riscv64 ;;
	*) echo "binfmt: unknown architecture $arch" >&2; exit 1 ;;
esac
case $mode in
	name) echo "qemu-$q"; exit 0 ;;
	qemu) echo "$q"; exit 0 ;;
esac
[ "$arch" = "$(dpkg --print-architecture)" ] && exit 0
bm=/proc/sys/fs/binfmt_misc
if [ ! -e $bm/status ]; then
	mount -t binfmt_misc binfmt_misc $bm 2>/dev/null || {
		echo "binfmt: cannot mount binfmt_misc at $bm (needs root, and a kernel/container that allows it)" >&2
		exit 1
	}
fi
if ! grep -qx enabled "$bm/qemu-$q" 2>/dev/null; then
	command -v update-binfmts >/dev/null || { echo "binfmt: update-binfmts missing (apt-get install binfmt-support qemu-user-static)" >&2; exit 1; }
	update-binfmts --enable "qemu-$q" >/dev/null 2>&1 || update-binfmts --import "qemu-$q" >/dev/null 2>&1 || true
	grep -qx enabled "$bm/qemu-$q" 2>/dev/null || {
		echo "binfmt: qemu-$q is not registered (apt-get install qemu-user-static binfmt-support)" >&2
		exit 1
	}
fi
