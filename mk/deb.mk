# Debian packages: see packaging/README.md.
#   make deb ARCH=arm64     dist/baylingd_<version>_arm64.deb (also amd64, armhf)
#   make debs               all three
#   make check-units        systemd-analyze verify + security exposure <= 2.0
#   make test-deb           build, check-units, lintian, and install/run/upgrade/
#                           purge tests in debootstrapped bookworm roots (amd64,
#                           arm64 under qemu); needs root. TEST_DEB_ARCHES=...
#                           picks the roots (armhf works too).
ARCH     ?= $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_ARCHES ?= amd64 arm64 armhf

.PHONY: deb debs check-units test-deb

deb:
	packaging/build-deb.sh $(ARCH) dist

debs:
	@for a in $(DEB_ARCHES); do packaging/build-deb.sh $$a dist || exit 1; done

check-units:
	packaging/check-units.sh

test-deb:
	DEB_ARCHES="$(DEB_ARCHES)" packaging/test/test-deb.sh
