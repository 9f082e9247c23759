#!/usr/bin/env bash
# test-deb.sh: `make test-deb`. Builds the packages, checks them statically,
# and installs, runs, upgrades, removes and purges them in real Debian
# bookworm roots.
#
#   1. build baylingd_<ver>_{amd64,arm64,armhf}.deb (packaging/build-deb.sh)
#      into a scratch folder; build the amd64 one twice and compare the bytes
#   2. packaging/check-units.sh on the amd64 package (systemd-analyze verify,
#      security exposure <= 2.0, man pages)
#   3. lintian --fail-on error,warning on every package
#   4. for each of TEST_DEB_ARCHES (default "amd64 arm64"; armhf works too):
#      unpack the cached minbase root (mkroot.sh; foreign ones run through
#      qemu-user-static and binfmt_misc), then inside it:
#      - apt-get install ./baylingd_<ver>.deb (no network: adduser and libc6
#        are in the root); user, groups, files, modes, conffile, statoverrides
#        and systemd enablement links
#      - run the installed baylingd as user baylingd (no systemd in a chroot:
#        the daemon's own listener) with the installed config edited to use
#        the fixture model, and translate over /run/baylingd/baylingd.sock
#        with the installed bayling, as a member of group baylingd; a user
#        outside the group is refused
#      - upgrade to a newer version with the same default config and no
#        --force flags (dpkg must not ask: the edit is kept), then to one
#        whose default config changed, with --force-confold (the edit is
#        kept, the new default lands in baylingd.toml.dpkg-dist)
#      - remove (config, models, user kept), purge (all gone)
#   5. under systemd (host architecture only; TEST_DEB_SYSTEMD=0 skips): boot
#      a bookworm root with systemd in systemd-nspawn and, inside, install the
#      package with systemd running (the socket starts, the service waits for
#      a model), start the hardened service on the fixture, translate through
#      the socket unit, check the sandbox (no capabilities, seccomp,
#      NoNewPrivs, exposure), restart (the socket survives), stop + socket
#      activation, reload, upgrade (restarted on the new package), remove
#      (stopped), purge.
#
# Needs root. Under CI=true a missing tool or fixture is a failure; otherwise
# the test is skipped with a message. Timings are printed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkg=$(cd "$here/.." && pwd)
top=$(cd "$pkg/.." && pwd)
arches=${TEST_DEB_ARCHES-amd64 arm64}
build_arches=${DEB_ARCHES:-amd64 arm64 armhf}
fixtures=${BAYLING_FIXTURES:-$top/../shared/fixtures}
model=$fixtures/tiny-llama2-q4_0.gguf
GO=${GO:-go}
export GO

skip() {
	if [ "${CI:-}" = true ]; then
		echo "test-deb: FAIL: $*" >&2
		exit 1
	fi
	echo "test-deb: SKIP: $*" >&2
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, dpkg in the roots)"
for t in debootstrap:debootstrap zstd:zstd dpkg-deb:dpkg-dev lintian:lintian systemd-analyze:systemd \
	man:man-db readelf:binutils chroot:coreutils; do
	command -v "${t%%:*}" >/dev/null || skip "${t%%:*} is missing (apt-get install ${t#*:})"
done
host=$(dpkg --print-architecture)
for a in $arches; do
	if [ "$a" != "$host" ]; then
		command -v update-binfmts >/dev/null || skip "update-binfmts is missing (apt-get install binfmt-support)"
		q=$("$here/binfmt.sh" --qemu "$a")
		command -v "qemu-$q-static" >/dev/null || skip "qemu-$q-static is missing (apt-get install qemu-user-static)"
	fi
done
[ -f "$model" ] || skip "fixture $model is missing (set BAYLING_FIXTURES to the fixtures folder)"
systemd_test=${TEST_DEB_SYSTEMD:-1}
if [ "$systemd_test" != 0 ]; then
	for t in systemd-nspawn:systemd-container nsenter:util-linux; do
		command -v "${t%%:*}" >/dev/null || skip "${t%%:*} is missing (apt-get install ${t#*:}; TEST_DEB_SYSTEMD=0 skips the systemd test)"
	done
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/baylingd-test-deb.XXXXXX")
daemon_pid=
nspawn_pid=
cleanup() {
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		kill "$nspawn_pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$nspawn_pid" 2>/dev/null || true
	fi
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	for r in "$work"/root-* "$work"/sdroot; do
		[ -d "$r" ] || continue
		for m in sys proc; do mountpoint -q "$r/$m" && umount -l "$r/$m"; done
	done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'echo "test-deb: FAIL: command at line $LINENO exited with $?" >&2' ERR

timings=()
t0=$(date +%s)
phase_start=$t0
phase() { # phase NAME: close the running phase and start timing the next
	local now
	now=$(date +%s)
	[ -n "${phase_name:-}" ] && timings+=("$(printf '%-48s %4ss' "$phase_name" $((now - phase_start)))")
	phase_name=$1 phase_start=$now
	[ -n "$1" ] && echo "== test-deb: $1"
	return 0
}
fail() {
	echo "test-deb: FAIL: $*" >&2
	exit 1
}
ok() { echo "  ok: $*"; }

# The roots are cached; on a fresh machine they are built in the background
# while the packages are built and checked.
declare -A root_job
root_jobs() {
	local a
	for a in $arches; do
		"$here/mkroot.sh" "$a" >"$work/mkroot-$a.out" 2>"$work/mkroot-$a.log" &
		root_job[$a]=$!
	done
	if [ "$systemd_test" != 0 ]; then
		"$here/mkroot.sh" --systemd "$host" >"$work/mkroot-systemd.out" 2>"$work/mkroot-systemd.log" &
		root_job[systemd]=$!
	fi
}
root_tarball() { # root_tarball KEY: wait for the root build, print its tarball
	wait "${root_job[$1]}" || { cat "$work/mkroot-$1.log" >&2; fail "could not build the $1 root"; }
	sed 's/^/  /' "$work/mkroot-$1.log"
	tarball=$(cat "$work/mkroot-$1.out")
}

# ---------------------------------------------------------------- build
root_jobs
phase "build packages ($build_arches)"
read -r _ debversion _ < <("$pkg/version.sh")
upstream=${debversion%-*}
mkdir -p "$work/debs" "$work/rebuild"
for a in $build_arches; do
	"$pkg/build-deb.sh" "$a" "$work/debs" >/dev/null
done
deb() { echo "$work/debs/baylingd_${1}_$2.deb"; }
for a in $build_arches; do
	[ -f "$(deb "$debversion" "$a")" ] || fail "no package for $a"
	echo "  $(basename "$(deb "$debversion" "$a")") $(du -h "$(deb "$debversion" "$a")" | cut -f1) Depends: $(dpkg-deb -f "$(deb "$debversion" "$a")" Depends)"
done

ra=${build_arches%% *}
phase "reproducible? ($ra rebuilt) + upgrade packages"
"$pkg/build-deb.sh" "$ra" "$work/rebuild" >/dev/null
if cmp -s "$(deb "$debversion" "$ra")" "$work/rebuild/$(basename "$(deb "$debversion" "$ra")")"; then
	ok "$ra: same bytes: $(sha256sum "$(deb "$debversion" "$ra")" | cut -c1-16)..."
else
	fail "two builds of the same tree differ"
fi

# Upgrade packages: same binaries, newer versions. v2 ships the same default
# config, v3 a changed one.
v2="$upstream+test2-1" v3="$upstream+test3-1"
dpkg --compare-versions "$v2" gt "$debversion" && dpkg --compare-versions "$v3" gt "$v2" || fail "upgrade versions do not sort"
cp "$top/configs/baylingd.toml" "$work/baylingd-v3.toml"
printf '\n# (test-deb: the default configuration of a later version changed)\n' >>"$work/baylingd-v3.toml"
upgrade_arches=$arches
if [ "$systemd_test" != 0 ] && ! echo " $arches " | grep -q " $host "; then upgrade_arches="$arches $host"; fi
for a in $upgrade_arches; do
	dpkg-deb -x "$(deb "$debversion" "$a")" "$work/x-$a"
	BAYLINGD_BIN_DIR=$work/x-$a/usr/bin DEBVERSION=$v2 "$pkg/build-deb.sh" "$a" "$work/debs" >/dev/null
	BAYLINGD_BIN_DIR=$work/x-$a/usr/bin DEBVERSION=$v3 BAYLINGD_CONFIG=$work/baylingd-v3.toml \
		"$pkg/build-deb.sh" "$a" "$work/debs" >/dev/null
done

# ---------------------------------------------------------------- static
phase "check-units (verify, security)"
"$pkg/check-units.sh" "$(deb "$debversion" "$ra")" | sed 's/^/  /'
[ "${PIPESTATUS[0]}" = 0 ] || fail "check-units"

phase "lintian"
for a in $build_arches; do
	out=$(lintian --fail-on error,warning --display-level ">=warning" "$(deb "$debversion" "$a")" 2>&1 |
		grep -v 'running with root privileges' || true)
	if lintian --fail-on error,warning "$(deb "$debversion" "$a")" >/dev/null 2>&1; then
		ok "$a: no errors or warnings${out:+ ($out)}"
	else
		echo "$out" | sed 's/^/  /'
		fail "lintian on the $a package"
	fi
done

# ---------------------------------------------------------------- roots
in_root() { # in_root ROOT CMD...: run CMD in the root as root
	local r=$1
	shift
	chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
		DEBIAN_FRONTEND=noninteractive "$@"
}
as_user() { # as_user ROOT USER CMD...
	local r=$1 u=$2 uid gid groups
	shift 2
	uid=$(in_root "$r" id -u "$u") gid=$(in_root "$r" id -g "$u")
	groups=$(in_root "$r" id -G "$u" | tr ' ' ',')
	chroot --userspec="$uid:$gid" --groups="$groups" "$r" /usr/bin/env -i \
		PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/ "$@"
}
expect_mode() { # expect_mode ROOT PATH "MODE USER:GROUP"
	local got
	got=$(in_root "$1" stat -c '%a %U:%G' "$2")
	[ "$got" = "$3" ] || fail "$2 is $got, want $3"
}
apt_install() { # apt_install ROOT DEB [dpkg options]
	local r=$1 d=$2
	shift 2
	local opts=()
	for o in "$@"; do opts+=(-o "Dpkg::Options::=$o"); done
	cp "$d" "$r/tmp/debs/"
	in_root "$r" apt-get install -y -q --no-install-recommends "${opts[@]}" "/tmp/debs/$(basename "$d")" \
		</dev/null >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install $(basename "$d")"; }
}

for a in $arches; do
	r=$work/root-$a
	phase "$a: root"
	"$here/binfmt.sh" "$a"
	root_tarball "$a"
	mkdir -p "$r"
	zstd -dc "$tarball" | tar -x --numeric-owner -C "$r"
	mount -t proc proc "$r/proc"
	mount -t sysfs -o ro sysfs "$r/sys"
	mkdir -p "$r/tmp/debs" && chmod 0755 "$r/tmp/debs"
	# Services are not started in a chroot (policy-rc.d), as in image builds;
	# /run/systemd/system is absent, so the scripts do not call systemctl.
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
	chmod 0755 "$r/usr/sbin/policy-rc.d"
	# GPU/NPU groups: video is in base-passwd; udev creates render.
	in_root "$r" getent group render >/dev/null || in_root "$r" addgroup --quiet --system render
	ok "bookworm $a minbase from $(basename "$tarball")"

	phase "$a: install"
	apt_install "$r" "$(deb "$debversion" "$a")"
	[ "$(in_root "$r" dpkg-query -W -f='${Status} ${Version}' baylingd)" = "install ok installed $debversion" ] ||
		fail "baylingd is not installed"
	ok "apt-get install ./$(basename "$(deb "$debversion" "$a")")"
	pw=$(in_root "$r" getent passwd baylingd) || fail "no user baylingd"
	IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
	[ "$home" = /var/lib/baylingd ] && [ "$shell" = /usr/sbin/nologin ] && [ "$uid" -lt 1000 ] ||
		fail "user baylingd: $pw"
	[ "$(in_root "$r" getent group baylingd | cut -d: -f3)" = "$gid" ] || fail "baylingd's primary group is not baylingd"
	groups=$(in_root "$r" id -nG baylingd)
	for g in baylingd render video; do
		echo " $groups " | grep -q " $g " || fail "baylingd is not in group $g ($groups)"
	done
	ok "system user baylingd ($uid:$gid, $home, $shell), groups: $groups"
	want_files="/etc/baylingd/baylingd.toml
/usr/bin/bayling
/usr/bin/baylingd
/usr/lib/systemd/system/baylingd.service
/usr/lib/systemd/system/baylingd.socket
/usr/share/doc/baylingd/changelog.Debian.gz
/usr/share/doc/baylingd/copyright
/usr/share/lintian/overrides/baylingd
/usr/share/man/man1/bayling.1.gz
/usr/share/man/man8/baylingd.8.gz"
	got_files=$(in_root "$r" dpkg -L baylingd | while read -r f; do if [ -f "$r$f" ]; then echo "$f"; fi; done | LC_ALL=C sort)
	[ "$got_files" = "$want_files" ] || { diff <(echo "$want_files") <(echo "$got_files") || true; fail "file list"; }
	[ -d "$r/var/lib/baylingd/models" ] || fail "no /var/lib/baylingd/models"
	ok "files: $(echo "$got_files" | wc -l) files + /var/lib/baylingd/models"
	expect_mode "$r" /usr/bin/baylingd "755 root:root"
	expect_mode "$r" /usr/bin/bayling "755 root:root"
	expect_mode "$r" /usr/lib/systemd/system/baylingd.service "644 root:root"
	expect_mode "$r" /etc/baylingd "755 root:root"
	expect_mode "$r" /etc/baylingd/baylingd.toml "640 root:baylingd"
	expect_mode "$r" /var/lib/baylingd "750 baylingd:baylingd"
	expect_mode "$r" /var/lib/baylingd/models "750 root:baylingd"
	ok "modes: config 0640 root:baylingd, /var/lib/baylingd 0750 baylingd:baylingd, models 0750 root:baylingd"
	so=$(in_root "$r" dpkg-statoverride --list | LC_ALL=C sort)
	[ "$(echo "$so" | grep -c baylingd)" = 3 ] || fail "statoverrides: $so"
	conff=$(in_root "$r" dpkg-query -W -f='${Conffiles}' baylingd)
	md5=$(in_root "$r" md5sum /etc/baylingd/baylingd.toml | cut -d' ' -f1)
	[ "$(echo "$conff" | awk '{print $1, $2}')" = "/etc/baylingd/baylingd.toml $md5" ] || fail "conffiles: $conff"
	ok "conffile registered:$conff"
	for l in /etc/systemd/system/multi-user.target.wants/baylingd.service \
		/etc/systemd/system/sockets.target.wants/baylingd.socket; do
		# deb-systemd-helper finds the unit as /lib/systemd/system/... on a
		# merged-/usr system: the same file.
		t=$(readlink "$r$l" || true)
		case "$t" in /lib/systemd/system/* | /usr/lib/systemd/system/*) ;; *) fail "no enablement link $l ($t)" ;; esac
		[ "$(basename "$t")" = "$(basename "$l")" ] && [ -f "$r$t" ] || fail "enablement link $l -> $t"
	done
	ok "enabled by deb-systemd-helper: multi-user.target.wants/baylingd.service, sockets.target.wants/baylingd.socket"
	v=$(in_root "$r" baylingd --version 2>&1) || fail "baylingd --version: $v"
	ok "baylingd --version: $v"

	phase "$a: run and translate"
	# What an administrator does: the model into models/, its path into the
	# config. This is also the conffile edit the upgrades must keep.
	install -m 0644 "$model" "$r/var/lib/baylingd/models/$(basename "$model")"
	sed -i "s|^path = \"/var/lib/baylingd/models/model.gguf\"|path = \"/var/lib/baylingd/models/$(basename "$model")\"|" \
		"$r/etc/baylingd/baylingd.toml"
	grep -q "^path = \"/var/lib/baylingd/models/$(basename "$model")\"" "$r/etc/baylingd/baylingd.toml" ||
		fail "could not point the config at the fixture (the [model] path line changed?)"
	in_root "$r" baylingd --check-config --config /etc/baylingd/baylingd.toml >"$work/check.log" 2>&1 ||
		{ cat "$work/check.log"; fail "baylingd --check-config on the edited config"; }
	ok "baylingd --check-config"
	# What RuntimeDirectory=baylingd does under systemd.
	install -d -m 0755 -o "$uid" -g "$gid" "$r/run/baylingd"
	sock=/run/baylingd/baylingd.sock
	start=$(date +%s)
	chroot --userspec="$uid:$gid" --groups="$(in_root "$r" id -G baylingd | tr ' ' ',')" "$r" \
		/usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
		/usr/bin/baylingd --config /etc/baylingd/baylingd.toml >"$work/baylingd-$a.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 1 600); do
		[ -S "$r$sock" ] && break
		kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/baylingd-$a.log"; fail "baylingd exited before opening $sock"; }
		sleep 0.5
	done
	[ -S "$r$sock" ] || { cat "$work/baylingd-$a.log"; fail "no socket $sock after 300s"; }
	expect_mode "$r" "$sock" "660 baylingd:baylingd"
	ok "baylingd (user baylingd) listens on $sock (0660 baylingd:baylingd) after $(($(date +%s) - start))s"
	in_root "$r" adduser --quiet --disabled-password --gecos "" alice
	in_root "$r" adduser --quiet alice baylingd
	in_root "$r" adduser --quiet --disabled-password --gecos "" bob
	text="The weather is nice today."
	answer="" rc=1
	for _ in $(seq 1 60); do # the socket may open before the model is warm
		answer=$(as_user "$r" alice bayling translate --socket "$sock" --from en --to de -q "$text" 2>"$work/client.log") && rc=0 && break
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 1
	done
	if [ $rc != 0 ] || [ -z "$(echo "$answer" | tr -d '[:space:]')" ]; then
		cat "$work/client.log" "$work/baylingd-$a.log"
		fail "no translation over $sock (rc $rc, answer '$answer')"
	fi
	same=
	if [ -n "${first_answer:-}" ]; then
		# Informational: greedy decoding of the same model on another
		# architecture's kernels usually gives the same text.
		if [ "$answer" = "$first_answer" ]; then same=", same text as on $first_arch"; else same=", text differs from $first_arch's"; fi
	else
		first_answer=$answer first_arch=$a
	fi
	ok "alice (group baylingd): bayling translate --to de '$text' -> '${answer:0:48}...' ($(echo "$answer" | wc -c) bytes, $(($(date +%s) - start))s after start$same)"
	if as_user "$r" bob bayling translate --socket "$sock" --to de -q "$text" >/dev/null 2>&1; then
		fail "bob, outside group baylingd, could use the socket"
	fi
	ok "bob (not in group baylingd) is refused"
	kill -TERM "$daemon_pid"
	drc=0
	wait "$daemon_pid" || drc=$?
	daemon_pid=
	[ $drc = 0 ] || { tail -20 "$work/baylingd-$a.log"; fail "baylingd exited with $drc on SIGTERM"; }
	ok "SIGTERM: baylingd exited 0"

	phase "$a: upgrade, remove, purge"
	edited=$(md5sum <"$r/etc/baylingd/baylingd.toml")
	# v2: same default config, no --force flags, no terminal: dpkg must
	# keep the edited file without asking.
	apt_install "$r" "$(deb "$v2" "$a")"
	[ "$(in_root "$r" dpkg-query -W -f='${Version}' baylingd)" = "$v2" ] || fail "not upgraded to $v2"
	[ "$(md5sum <"$r/etc/baylingd/baylingd.toml")" = "$edited" ] || fail "upgrade to $v2 changed the edited config"
	[ ! -e "$r/etc/baylingd/baylingd.toml.dpkg-dist" ] || fail "unexpected .dpkg-dist"
	ok "upgrade to $v2 (same default config): edit kept, no prompt"
	# v3: the default changed too. Unattended, --force-confold keeps the
	# edit and writes the new default beside it.
	apt_install "$r" "$(deb "$v3" "$a")" --force-confdef --force-confold
	[ "$(in_root "$r" dpkg-query -W -f='${Version}' baylingd)" = "$v3" ] || fail "not upgraded to $v3"
	[ "$(md5sum <"$r/etc/baylingd/baylingd.toml")" = "$edited" ] || fail "upgrade to $v3 changed the edited config"
	cmp -s "$r/etc/baylingd/baylingd.toml.dpkg-dist" "$work/baylingd-v3.toml" || fail "no new default in baylingd.toml.dpkg-dist"
	expect_mode "$r" /etc/baylingd/baylingd.toml "640 root:baylingd"
	[ "$(in_root "$r" id -u baylingd)" = "$uid" ] || fail "uid of baylingd changed"
	ok "upgrade to $v3 (default changed, --force-confold): edit kept, new default in baylingd.toml.dpkg-dist, mode and uid kept"

	in_root "$r" apt-get remove -y -q baylingd </dev/null >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get remove"; }
	[ "$(in_root "$r" dpkg-query -W -f='${Status}' baylingd)" = "deinstall ok config-files" ] || fail "status after remove"
	[ ! -e "$r/usr/bin/baylingd" ] && [ ! -e "$r/usr/lib/systemd/system/baylingd.service" ] || fail "files left after remove"
	[ "$(md5sum <"$r/etc/baylingd/baylingd.toml")" = "$edited" ] || fail "remove lost the config"
	[ -f "$r/var/lib/baylingd/models/$(basename "$model")" ] || fail "remove deleted the models"
	in_root "$r" getent passwd baylingd >/dev/null || fail "remove deleted the user"
	ok "remove: binaries and units gone; config, models and user kept"

	in_root "$r" apt-get purge -y -q baylingd </dev/null >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get purge"; }
	[ -z "$(in_root "$r" dpkg-query -W -f='${Status}' baylingd 2>/dev/null)" ] ||
		[ "$(in_root "$r" dpkg-query -W -f='${Status}' baylingd 2>/dev/null)" = "unknown ok not-installed" ] || fail "status after purge"
	for p in /etc/baylingd /var/lib/baylingd /run/baylingd; do
		[ ! -e "$r$p" ] || fail "$p left after purge"
	done
	! in_root "$r" getent passwd baylingd >/dev/null || fail "user baylingd left after purge"
	! in_root "$r" getent group baylingd >/dev/null || fail "group baylingd left after purge"
	left=$(cd "$r" && find etc/systemd var/lib/systemd -name '*baylingd*' 2>/dev/null || true)
	[ -z "$left" ] || fail "systemd state left after purge: $left"
	! in_root "$r" dpkg-statoverride --list | grep -q baylingd || fail "statoverrides left after purge"
	ok "purge: /etc/baylingd, /var/lib/baylingd (models), /run/baylingd, user, group, statoverrides and unit links gone"

	for m in sys proc; do umount -l "$r/$m"; done
	rm -rf --one-file-system "$r"
done

# ---------------------------------------------------------------- systemd
if [ "$systemd_test" != 0 ]; then
	a=$host
	r=$work/sdroot
	phase "$a: boot systemd (nspawn)"
	root_tarball systemd
	mkdir -p "$r"
	zstd -dc "$tarball" | tar -x --numeric-owner -C "$r"
	# /tmp is a tmpfs inside the container: the packages go elsewhere.
	mkdir -p "$r/var/cache/baylingd-test"
	cp "$(deb "$debversion" "$a")" "$(deb "$v2" "$a")" "$r/var/cache/baylingd-test/"
	setsid systemd-nspawn --quiet --register=no --keep-unit --boot --directory="$r" \
		--console=read-only >"$work/nspawn.log" 2>&1 </dev/null &
	nspawn_pid=$!
	init=
	for _ in $(seq 1 100); do
		init=$(pgrep -P "$nspawn_pid" | head -1 || true)
		[ -n "$init" ] && break
		kill -0 "$nspawn_pid" 2>/dev/null || { cat "$work/nspawn.log"; fail "systemd-nspawn exited"; }
		sleep 0.2
	done
	[ -n "$init" ] || { cat "$work/nspawn.log"; fail "no init in the container"; }
	in_ct() {
		nsenter --target "$init" --all /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
			HOME=/root SYSTEMD_COLORS=0 DEBIAN_FRONTEND=noninteractive "$@"
	}
	state=
	for _ in $(seq 1 120); do
		# The first child found above can be nspawn's short-lived setup
		# child (seen once on a loaded machine): follow the container's
		# init, nspawn's child that runs systemd.
		for p in $(pgrep -P "$nspawn_pid"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && init=$p
		done
		state=$(in_ct systemctl is-system-running 2>/dev/null || true)
		case "$state" in running | degraded) break ;; esac
		sleep 0.5
	done
	case "$state" in running | degraded) ;; *) cat "$work/nspawn.log"; fail "the container did not boot ($state)" ;; esac
	ok "$(in_ct systemctl --version | head -1) booted ($state)"

	phase "$a: package under systemd"
	in_ct getent group render >/dev/null || in_ct addgroup --quiet --system render
	in_ct apt-get install -y -q --no-install-recommends "/var/cache/baylingd-test/$(basename "$(deb "$debversion" "$a")")" \
		</dev/null >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install under systemd"; }
	[ "$(in_ct systemctl is-active baylingd.socket)" = active ] || fail "postinst did not start baylingd.socket"
	[ "$(in_ct systemctl is-active baylingd.service || true)" = inactive ] || fail "the service started without a model"
	[ "$(in_ct systemctl is-enabled baylingd.service baylingd.socket | tr '\n' ' ')" = "enabled enabled " ] || fail "units not enabled"
	ok "fresh install: units enabled, socket listening, service waiting for a model"
	install -m 0644 "$model" "$r/var/lib/baylingd/models/$(basename "$model")"
	sed -i "s|^path = \"/var/lib/baylingd/models/model.gguf\"|path = \"/var/lib/baylingd/models/$(basename "$model")\"|" \
		"$r/etc/baylingd/baylingd.toml"
	in_ct systemctl start baylingd.service || { in_ct journalctl -u baylingd --no-pager -n 30; fail "systemctl start baylingd"; }
	ok "systemctl start (Type=notify): $(in_ct systemctl show -p StatusText --value baylingd.service)"
	pid=$(in_ct systemctl show -p MainPID --value baylingd.service)
	st=$(in_ct cat "/proc/$pid/status")
	for want in "NoNewPrivs:.1" "Seccomp:.2" "CapEff:.0000000000000000" "CapBnd:.0000000000000000"; do
		echo "$st" | grep -q "^$want$" || fail "sandbox: no $want in /proc/$pid/status"
	done
	# The GPU/NPU groups come from the user's membership (initgroups), not
	# from SupplementaryGroups=.
	for g in render video; do
		gid=$(in_ct getent group "$g" | cut -d: -f3)
		echo "$st" | grep '^Groups:' | grep -qw "$gid" || fail "the daemon is not in group $g ($gid)"
	done
	ok "sandbox: uid $(echo "$st" | awk '/^Uid:/{print $2}'), groups $(echo "$st" | awk '/^Groups:/{$1=""; print}' | xargs), no capabilities, NoNewPrivs, seccomp filter"
	ok "$(in_ct systemd-analyze security --no-pager baylingd.service | grep -a 'Overall exposure' | sed 's/^→ //')"
	in_ct adduser --quiet --disabled-password --gecos "" alice
	in_ct adduser --quiet alice baylingd
	translate_ct() { in_ct su -s /bin/sh alice -c "bayling translate --to de -q 'Good morning'" 2>&1; }
	out=$(translate_ct) || fail "translation through the socket unit: $out"
	[ -n "$(echo "$out" | tr -d '[:space:]')" ] || fail "empty translation"
	ok "alice: bayling translate through baylingd.socket -> '${out:0:40}...'"
	in_ct systemctl restart baylingd.service
	in_ct test -S /run/baylingd/baylingd.sock || fail "restart removed the socket"
	translate_ct >/dev/null || fail "no translation after restart"
	ok "restart: /run/baylingd/baylingd.sock survives (RuntimeDirectoryPreserve=yes), requests served"
	in_ct systemctl stop baylingd.service 2>/dev/null
	[ "$(in_ct systemctl is-active baylingd.service || true)" = inactive ] || fail "stop"
	translate_ct >/dev/null || fail "socket activation did not start the service"
	[ "$(in_ct systemctl is-active baylingd.service)" = active ] || fail "not active after socket activation"
	in_ct journalctl -u baylingd --no-pager -o cat | grep -q 'activated=true' || fail "the daemon did not take the activated socket"
	ok "stop, then a request: socket activation starts it (the named fd 'baylingd' taken)"
	in_ct systemctl reload baylingd.service || fail "reload"
	ok "reload (SIGHUP): $(in_ct journalctl -u baylingd --no-pager -o cat | grep -a SIGHUP | tail -1)"
	in_ct journalctl -b --no-pager -o cat | grep -aiE 'seccomp|SIGSYS|code=killed' && fail "the sandbox killed something"
	pid1=$(in_ct systemctl show -p MainPID --value baylingd.service)
	in_ct apt-get install -y -q --no-install-recommends "/var/cache/baylingd-test/$(basename "$(deb "$v2" "$a")")" \
		</dev/null >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "upgrade under systemd"; }
	pid2=$(in_ct systemctl show -p MainPID --value baylingd.service)
	[ "$(in_ct systemctl is-active baylingd.service)" = active ] && [ "$pid2" != "$pid1" ] || fail "upgrade did not restart the daemon ($pid1 -> $pid2)"
	ok "upgrade to $v2: daemon restarted on the new package (pid $pid1 -> $pid2)"
	in_ct apt-get remove -y -q baylingd </dev/null >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "remove under systemd"; }
	[ "$(in_ct systemctl is-active baylingd.service baylingd.socket | tr '\n' ' ')" = "inactive inactive " ] || fail "remove left units running"
	ok "remove: service and socket stopped"
	in_ct apt-get purge -y -q baylingd </dev/null >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "purge under systemd"; }
	! in_ct getent passwd baylingd >/dev/null || fail "user left after purge"
	for p in /etc/baylingd /var/lib/baylingd; do [ ! -e "$r$p" ] || fail "$p left after purge"; done
	[ -z "$(in_ct systemctl list-unit-files 'baylingd*' --no-legend)" ] || fail "units left after purge"
	ok "purge: user, config, data and units gone"
	kill "$nspawn_pid" 2>/dev/null || true
	wait "$nspawn_pid" 2>/dev/null || true
	nspawn_pid=
	rm -rf --one-file-system "$r"
fi
phase ""

echo "== test-deb: timings"
printf '  %s\n' "${timings[@]}"
echo "  total $(($(date +%s) - t0))s"
echo "test-deb: ok ($arches installed and run; $build_arches built, lintian clean$([ "$systemd_test" != 0 ] && echo "; $host under systemd"))"
