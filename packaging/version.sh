#!/usr/bin/env bash
# version.sh: print "GITVERSION DEBVERSION EPOCH" for the current checkout.
#
#   GITVERSION  git describe --tags --always --dirty (what `baylingd --version`
#               prints; the same string `make build` embeds)
#   DEBVERSION  a valid Debian version made from it, always with revision -1:
#                 v1.2.3                 -> 1.2.3-1
#                 v1.2.3-4-gabc1234      -> 1.2.3+git20261125.4.abc1234-1
#                 v1.3.0-rc1             -> 1.3.0~rc1-1
#                 abc1234 (no tag yet)   -> 0.0~git20261125.abc1234-1
#                 ...-dirty              -> ... .dirty before the revision
#               The date is the commit date of HEAD (UTC), so versions of
#               successive untagged commits sort in time order.
#   EPOCH       SOURCE_DATE_EPOCH if set, else the commit time of HEAD: every
#               timestamp in the package, so the same commit gives the same
#               .deb bytes.
# Outside a git checkout, set GITVERSION (and SOURCE_DATE_EPOCH) in the
# environment; DEBVERSION may be set to override the computed one.
set -euo pipefail
cd "$(dirname "$0")/.."
gitversion=${GITVERSION:-$(git describe --tags --always --dirty 2>/dev/null || true)}
[ -n "$gitversion" ] || gitversion=unknown
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || true)}
[ -n "$epoch" ] || epoch=0
date=$(TZ=UTC date -d "@$epoch" +%Y%m%d)

if [ -z "${DEBVERSION:-}" ]; then
	v=$gitversion dirty=
	case "$v" in *-dirty) dirty=.dirty v=${v%-dirty} ;; esac
	# A tag's pre-release part (v1.0.0-rc1) sorts before the release: 1.0.0~rc1.
	tagver() { local t=${1#v}; echo "${t//-/\~}"; }
	if [[ "$v" =~ ^[0-9a-f]{7,40}$ ]]; then
		up="0.0~git$date.$v"
	elif [[ "$v" =~ ^(v?[0-9][0-9A-Za-z.+~-]*)-([0-9]+)-g([0-9a-f]+)$ ]]; then
		up="$(tagver "${BASH_REMATCH[1]}")+git$date.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
	elif [[ "$v" =~ ^v?[0-9][0-9A-Za-z.+~-]*$ ]]; then
		up=$(tagver "$v")
	else
		up="0.0~$(echo "$v" | tr -c 'A-Za-z0-9.+~\n' '.')"
	fi
	DEBVERSION="$up$dirty-1"
fi
echo "$gitversion $DEBVERSION $epoch"
