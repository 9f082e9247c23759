#!/usr/bin/env bash
# build-deb.sh ARCH [OUTDIR]: build dist/baylingd_<version>_<ARCH>.deb with
# dpkg-deb (no debhelper build; the maintainer scripts in packaging/debian
# are written in the debhelper style). ARCH is a Debian architecture:
# amd64, arm64 or armhf (GOARCH=arm GOARM=7: the pure-Go kernels).
#
# Environment:
#   GITVERSION, DEBVERSION, SOURCE_DATE_EPOCH  see packaging/version.sh
#   BAYLINGD_BIN_DIR   take baylingd and bayling from this folder instead of
#                      building them (they must be for ARCH; "@ARCH@" in the
#                      path is replaced by ARCH)
#   BAYLINGD_CONFIG    ship this file as /etc/baylingd/baylingd.toml instead
#                      of configs/baylingd.toml (the upgrade test uses it)
#   DEB_MAINTAINER     the Maintainer field
#   GO                 the go command
#
# Reproducible: every timestamp is SOURCE_DATE_EPOCH (the commit time),
# dpkg-deb sorts the archive members and writes root:root owners, man pages
# and the changelog are gzip -9n, and go build -trimpath embeds no paths.
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
arch=${1:?usage: build-deb.sh ARCH [OUTDIR]}
outdir=${2:-$top/dist}
GO=${GO:-go}
maintainer=${DEB_MAINTAINER:-baylingd developers <baylingd@users.noreply.github.com>}

case "$arch" in
	amd64) goarch=amd64 goarm= ;;
	arm64) goarch=arm64 goarm= ;;
	armhf) goarch=arm goarm=7 ;;
	*) echo "build-deb: ARCH must be amd64, arm64 or armhf (got $arch)" >&2; exit 2 ;;
esac
for t in dpkg-deb gzip md5sum readelf; do
	command -v $t >/dev/null || { echo "build-deb: $t is missing (apt-get install dpkg-dev binutils)" >&2; exit 1; }
done

read -r gitversion debversion epoch < <("$here/version.sh")
export SOURCE_DATE_EPOCH=$epoch
upstream=${debversion%-*}
cfg=${BAYLINGD_CONFIG:-$top/configs/baylingd.toml}
[ -f "$cfg" ] || { echo "build-deb: $cfg is missing: the package ships it as /etc/baylingd/baylingd.toml" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/baylingd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/etc/baylingd" \
	"$root/var/lib/baylingd/models" "$root/usr/share/doc/baylingd" \
	"$root/usr/share/man/man1" "$root/usr/share/man/man8" "$root/usr/share/lintian/overrides"

# Binaries.
if [ -n "${BAYLINGD_BIN_DIR:-}" ]; then
	bindir=${BAYLINGD_BIN_DIR//@ARCH@/$arch}
	install -m 0755 "$bindir/baylingd" "$bindir/bayling" "$root/usr/bin/"
else
	for c in baylingd bayling; do
		[ -d "$top/cmd/$c" ] || { echo "build-deb: $top/cmd/$c is missing" >&2; exit 1; }
	done
	ldflags="-s -w -X main.version=$gitversion -bindnow"
	buildmode=
	case "$arch" in
	amd64|arm64)
		# PIE (with full RELRO and BIND_NOW from -bindnow): the daemon faces
		# the network (MQTT from devices), and a position-independent
		# executable gets the same address randomisation as the libraries
		# around it. Go links PIE internally on these two without cgo; the
		# binaries then need the dynamic loader.
		buildmode=-buildmode=pie ;;
	armhf)
		# linux/arm can only link PIE externally (with cgo): position-
		# dependent here. Go's linker names the armel loader
		# (/lib/ld-linux.so.3) when a binary is dynamic (see below); Debian
		# armhf and Raspberry Pi OS have only /lib/ld-linux-armhf.so.3.
		# -I changes nothing for a static binary.
		ldflags="$ldflags -I /lib/ld-linux-armhf.so.3" ;;
	esac
	(cd "$top" && CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=$goarm \
		$GO build -trimpath $buildmode -ldflags "$ldflags" -o "$work/bin/" ./cmd/baylingd ./cmd/bayling)
	install -m 0755 "$work/bin/baylingd" "$work/bin/bayling" "$root/usr/bin/"
fi

# Runtime dependencies, from the binaries themselves. CGO_ENABLED=0 gives a
# static binary, except for PIE (amd64, arm64) and when
# github.com/ebitengine/purego is linked in (the GPU/NPU loaders): its
# dlopen needs the dynamic loader and libc.so.6/libdl.so.2, so the Go linker
# writes a PT_INTERP and NEEDED entries. The references carry no symbol
# versions, so any libc6 satisfies them.
depends="adduser"
libc=
for b in "$root"/usr/bin/*; do
	if readelf -lW "$b" | grep -q 'Requesting program interpreter'; then
		libc="libc6"
		interp=$(readelf -lW "$b" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
		if [ "$arch" = armhf ] && [ "$interp" != /lib/ld-linux-armhf.so.3 ]; then
			echo "build-deb: $(basename "$b") asks for $interp; armhf needs /lib/ld-linux-armhf.so.3" >&2
			exit 1
		fi
	fi
done
[ -n "$libc" ] && depends="$libc, $depends"

# Every Go module linked in must have a paragraph in the copyright file.
mods=$($GO version -m "$root/usr/bin/baylingd" "$root/usr/bin/bayling" | awk '$1=="dep"{print $2}' | sort -u)
for m in $mods; do
	grep -q "^Files:.* $m/\*" "$here/debian/copyright.in" || {
		echo "build-deb: Go module $m is linked in but has no paragraph in packaging/debian/copyright.in" >&2
		exit 1
	}
done

# Units, configuration, models folder.
install -m 0644 "$here/systemd/baylingd.service" "$here/systemd/baylingd.socket" "$root/usr/lib/systemd/system/"
install -m 0644 "$cfg" "$root/etc/baylingd/baylingd.toml"
chmod 0755 "$root/var/lib/baylingd" "$root/var/lib/baylingd/models"

# Documentation.
mandate=$(LC_ALL=C date -u -d "@$epoch" +%Y-%m-%d)
for m in man1/bayling.1 man8/baylingd.8; do
	sed -e "1s/^\(\.TH [A-Z]* [0-9]\) \"\" \"baylingd\"/\1 \"$mandate\" \"baylingd $upstream\"/" \
		"$here/man/${m#*/}" | gzip -9n >"$root/usr/share/man/$m.gz"
done
if [ -f "$top/LICENSE" ]; then
	lic=$(head -c 4000 "$top/LICENSE")
	case "$lic" in
		*"Apache License"*"Version 2.0"*) license=Apache-2.0 ;;
		*"Permission is hereby granted, free of charge"*) license=Expat ;;
		*"GNU GENERAL PUBLIC LICENSE"*"Version 3"*) license=GPL-3+ ;;
		*"Redistribution and use in source and binary forms"*) license=BSD-3-Clause-baylingd ;;
		*) license=baylingd ;;
	esac
	copyr=$(grep -m1 -i '^ *copyright' "$top/LICENSE" | sed -e 's/^ *[Cc]opyright *\((c)\|©\)\? *//' || true)
	[ -n "$copyr" ] || copyr="The baylingd authors"
	para="License: $license"$'\n'$(sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /' "$top/LICENSE")
	[ "$license" = Apache-2.0 ] && para=""   # its paragraph is already there
else
	echo "build-deb: warning: no LICENSE file in the source tree; the copyright file says so" >&2
	license=baylingd-no-license-yet
	copyr="The baylingd authors"
	para="License: baylingd-no-license-yet
 The baylingd source tree carries no LICENSE file yet: its authors have not
 chosen a license. Until they do, no license is granted beyond what the
 licenses of the components listed above require."
fi
while IFS= read -r line; do
	case "$line" in
	@PROJECT_LICENSE_PARAGRAPH@) if [ -n "$para" ]; then printf '\n%s\n' "$para"; fi ;;
	*)
		line=${line//@PROJECT_LICENSE@/$license}
		printf '%s\n' "${line//@PROJECT_COPYRIGHT@/$copyr}"
		;;
	esac
done <"$here/debian/copyright.in" >"$root/usr/share/doc/baylingd/copyright"
{
	echo "baylingd ($debversion) unstable; urgency=medium"
	echo
	echo "  * Built from git $gitversion with packaging/build-deb.sh."
	echo "    Changes: https://github.com/baylingd/baylingd/commits/${gitversion%-dirty}"
	echo
	echo " -- $maintainer  $(LC_ALL=C date -u -R -d "@$epoch")"
} | gzip -9n >"$root/usr/share/doc/baylingd/changelog.Debian.gz"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/baylingd"

# Control area.
install -m 0755 "$here/debian/postinst" "$here/debian/prerm" "$here/debian/postrm" "$root/DEBIAN/"
echo /etc/baylingd/baylingd.toml >"$root/DEBIAN/conffiles"
(cd "$root" && find usr var -type f -print0 | LC_ALL=C sort -z | xargs -0r md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
# Installed-Size as dpkg-gencontrol counts it: KiB per file, 1 per folder.
size=$(find "$root" -path "$root/DEBIAN" -prune -o \( -type f -printf '%s\n' -o -type d -printf '1024\n' \) |
	awk '{ s += int(($1 + 1023) / 1024) } END { print s }')
sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$arch/" -e "s/@MAINTAINER@/$maintainer/" \
	-e "s/@DEPENDS@/$depends/" -e "s/@SIZE@/$size/" "$here/debian/control.in" >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"

find "$root" -depth -exec touch --no-dereference --date="@$epoch" {} +
mkdir -p "$outdir"
deb=$outdir/baylingd_${debversion}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
