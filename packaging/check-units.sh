#!/usr/bin/env bash
# check-units.sh [DEB]: static checks of the systemd units and the package
# sources, run by `make test-deb`.
#
#  1. systemd-analyze verify on baylingd.service and baylingd.socket: any
#     message (an unknown key, a bad value, a missing ExecStart binary) fails.
#  2. systemd-analyze security --offline=true on baylingd.service: the
#     "Overall exposure level" must be at most MAX_EXPOSURE (2.0).
#  3. The man pages render without groff warnings; the maintainer scripts
#     parse (sh -n).
#
# verify needs the ExecStart binary and the units systemd's targets come from,
# and the host is left alone: the checks run on a scratch root (--root) made
# of the host's own unit files plus the package's files. With a .deb, that is
# the package unpacked (its real units and binaries); without, the units from
# packaging/systemd and an empty placeholder executable at /usr/bin/baylingd
# (verify only checks that the file is executable).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deb=${1:-}
max=${MAX_EXPOSURE:-2.0}

need() {
	command -v "$1" >/dev/null && return 0
	if [ "${CI:-}" = true ]; then
		echo "check-units: FAIL: $1 is missing (apt-get install $2)" >&2
		exit 1
	fi
	echo "check-units: SKIP: $1 is missing (apt-get install $2)" >&2
	exit 0
}
need systemd-analyze systemd
need man man-db
[ -d /usr/lib/systemd/system ] || [ -d /lib/systemd/system ] || need no-systemd-units systemd

root=$(mktemp -d "${TMPDIR:-/tmp}/baylingd-units.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/lib/systemd/system" "$root/usr/bin" "$root/etc/systemd/system"
ln -s usr/lib "$root/lib"
ln -s usr/bin "$root/bin"
for d in /lib/systemd/system /usr/lib/systemd/system; do
	[ -d "$d" ] && cp -a "$d/." "$root/usr/lib/systemd/system/" 2>/dev/null || true
done
if [ -n "$deb" ]; then
	dpkg-deb -x "$deb" "$root.deb"
	cp -a "$root.deb/." "$root/"
	rm -rf "$root.deb"
	what="units and binaries of $(basename "$deb")"
else
	install -m 0644 "$here/systemd/baylingd.service" "$here/systemd/baylingd.socket" "$root/usr/lib/systemd/system/"
	install -m 0755 /dev/null "$root/usr/bin/baylingd"
	what="units of packaging/systemd"
fi
# /bin/kill for ExecReload (procps in the real system).
[ -e "$root/usr/bin/kill" ] || install -m 0755 /dev/null "$root/usr/bin/kill"

fail=0
echo "check-units: systemd-analyze verify ($what)"
out=$(systemd-analyze verify --root="$root" --man=no baylingd.service baylingd.socket 2>&1) || fail=1
if [ -n "$out" ]; then
	echo "$out" | sed 's/^/  /'
	fail=1
fi
[ $fail = 0 ] && echo "  ok: no messages"

echo "check-units: systemd-analyze security --offline=true baylingd.service"
sec=$(systemd-analyze security --offline=true --root="$root" --no-pager baylingd.service 2>&1) || true
line=$(echo "$sec" | grep -a 'Overall exposure level' || true)
level=$(echo "$line" | sed -n 's/.*: \([0-9][0-9.]*\) .*/\1/p')
if [ -z "$level" ]; then
	echo "$sec" | sed 's/^/  /'
	echo "check-units: FAIL: no exposure level in the output" >&2
	fail=1
else
	echo "$sec" | grep -a '✗' | sed 's/^/  /'
	echo "  $line (limit $max)"
	if awk -v l="$level" -v m="$max" 'BEGIN { exit !(l > m) }'; then
		echo "check-units: FAIL: exposure $level is above $max" >&2
		fail=1
	fi
fi

echo "check-units: man pages and maintainer scripts"
for m in "$here"/man/*.[0-9]; do
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$m" 2>&1 >/dev/null) || true
	if [ -n "$w" ]; then
		echo "  $(basename "$m"): $w"
		fail=1
	fi
done
for s in "$here"/debian/postinst "$here"/debian/prerm "$here"/debian/postrm; do
	sh -n "$s" || fail=1
	if command -v shellcheck >/dev/null; then shellcheck -s sh "$s" || fail=1; fi
done
[ $fail = 0 ] && echo "  ok"

[ $fail = 0 ] || { echo "check-units: FAILED" >&2; exit 1; }
echo "check-units: ok (exposure $level)"
