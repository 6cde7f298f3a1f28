#!/bin/sh
# install-deps.sh - install what balloonbench needs on Debian 12, idempotently.
# Run as root (make deps does). Does nothing when everything is present.
#   --test   also what `make check` needs: chromium for the report's browser test,
#            clang and libFuzzer's runtime (libclang-rt-14-dev) for tests/fuzz.t,
#            dpkg-dev, debhelper and fakeroot for tests/deb.t (the Debian package)
set -eu

PKGS="build-essential pkg-config perl make gzip cpio kmod xz-utils zstd openssh-server openssh-client
qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev
liburing-dev libhwloc-dev hwloc libnuma-dev numactl libjansson-dev libinih-dev libgnutls28-dev"
# tests: the browser for the page tests, pgrep for the no-guest-left-behind checks;
# xmllint (JUnit XML against a schema), man (the man pages), a real OpenMetrics
# parser (python3-prometheus-client) and bash-completion for the output and install
# tests; clang and libclang-rt-14-dev for the fuzz targets (tests/fuzz.t); dpkg-dev,
# debhelper and fakeroot to build the Debian package (tests/deb.t)
[ "${1:-}" = "--test" ] && PKGS="$PKGS chromium procps libxml2-utils man-db python3-prometheus-client bash-completion clang libclang-rt-14-dev
dpkg-dev debhelper fakeroot"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

# npm fetches uPlot for the report (reports/package-lock.json). Debian's npm
# package brings Node.js; a Node.js from elsewhere with its own npm is fine too.
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages:$missing; run as root (or: apt-get install$missing)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

# libvirt's embedded QEMU driver parses its default user even when qemu.conf
# says root (see shared notes): make sure it exists.
if ! getent group libvirt-qemu >/dev/null; then
	[ "$(id -u)" -eq 0 ] && groupadd -r libvirt-qemu
fi
if ! getent passwd libvirt-qemu >/dev/null; then
	[ "$(id -u)" -eq 0 ] && useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
fi
exit 0
